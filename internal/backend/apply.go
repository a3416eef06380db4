package backend

import (
	"context"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
)

// Apply applies a previewed plan after checking the confirmation; it blocks until the run ends.
func (b *Backend) Apply(ctx context.Context, planID string, c Confirmation) (RunSummary, error) {
	pe, err := b.plan(planID)
	if err != nil {
		return RunSummary{}, err
	}
	d, err := b.st.GetDirectory(ctx, pe.dirID)
	if err != nil {
		return RunSummary{}, err
	}
	rs, _, err := b.run(ctx, d, runRequest{entry: pe, purpose: "apply",
		confirm:   engine.Confirmation{TenantID: c.TenantID, Domains: c.Domains, PlanDigest: c.PlanDigest},
		overrides: engine.Overrides{Threshold: c.OverrideThreshold, RemovalThreshold: c.OverrideRemovalThreshold, ReadShrink: c.OverrideReadShrink}})
	return rs, err
}

// runRequest is one sync of a directory by this app: of a previewed plan (entry), or of a plan
// the run prepares itself under the lock.
type runRequest struct {
	entry     *planEntry
	full      bool
	automatic bool
	confirm   engine.Confirmation
	overrides engine.Overrides
	purpose   string
}

// run is one sync of d through the engine's lifecycle. ps summarizes the plan the run prepared;
// rs is empty when nothing was recorded as an apply the admin asked for (refused before the
// lock, or a confirmation that does not match: its blocked run is in the history).
func (b *Backend) run(ctx context.Context, d store.Directory, rq runRequest) (rs RunSummary, ps PlanSummary, err error) {
	var s engine.Settings
	var plan *engine.Plan
	if rq.entry != nil {
		plan, s = rq.entry.plan, rq.entry.plan.Settings
	} else if s, err = b.runSettings(ctx, d.ID); err != nil {
		return RunSummary{}, PlanSummary{}, err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := &tracker{b: b, dirID: d.ID, cancel: cancel}
	defer t.done()
	if plan != nil {
		// Cancellable (and the directory "syncing") from its first step: a Cancel that arrives
		// while the clients are still being set up must not be lost.
		t.stage(engine.StageApply)
	}
	e, err := b.engine(ctx, d, s)
	if err != nil {
		return RunSummary{}, PlanSummary{}, err
	}
	spec := engine.RunSpec{PreviewSpec: b.previewSpec(d, s, rq.full, rq.automatic), Plan: plan,
		Confirm: rq.confirm, Overrides: rq.overrides, Account: d.Account, Purpose: rq.purpose, Lock: b.st,
		Applied: func(ctx context.Context, p *engine.Plan, c report.Confirmation) {
			// The first applied sync pins the tenant; every sync the admin applied updates the
			// standing confirmation that automatic runs sync under.
			if d.TenantID == "" {
				d.TenantID, d.TenantName = p.Tenant.ID, p.Tenant.DisplayName
				_ = b.st.UpdateDirectory(ctx, d)
			}
			if !rq.automatic {
				_ = b.st.SetStandingConfirmation(ctx, d.ID, store.Confirmation{TenantID: p.Tenant.ID, Domains: p.Domains, Account: c.Account, At: c.At})
			}
		}}
	spec.Stage = func(st engine.Stage) {
		if st == engine.StageApply && rq.entry != nil {
			b.mu.Lock()
			delete(b.plans, rq.entry.id) // a plan is applied once
			b.mu.Unlock()
		}
		t.stage(st)
	}
	res, err := e.Run(rctx, spec)
	if res.Preview != nil && res.Preview.Plan != nil {
		ps = b.planEntry(d.ID, res.Preview).summary
	}
	if res.RunID == "" || res.Blocked && apperr.CodeOf(err) == apperr.ConfirmationRequired {
		return RunSummary{}, ps, err
	}
	saved, _ := b.st.GetRun(context.WithoutCancel(ctx), res.RunID)
	rs = runDTO(saved)
	b.opts.Emitter.Emit(EventRunDone, rs)
	return rs, ps, err
}

// Cancel stops the directory's running sync: in-flight operations finish, the rest is recorded.
func (b *Backend) Cancel(ctx context.Context, id string) error {
	b.mu.Lock()
	c := b.runs[id]
	b.mu.Unlock()
	if c == nil {
		return apperr.New(apperr.NotFound, "no sync of this directory is running in this app")
	}
	c()
	return nil
}
