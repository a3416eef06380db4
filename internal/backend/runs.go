package backend

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/entra"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
	"github.com/idpsync/idpsync/internal/version"
)

// PlanTTL is how long a preview may be applied: after it, the admin previews again.
const PlanTTL = 30 * time.Minute

type planEntry struct {
	id      string
	dirID   string
	runID   string
	plan    *engine.Plan
	summary PlanSummary
	report  string
	created time.Time
}

func defaultSettings() engine.Settings { return engine.DefaultSettings() }

func (b *Backend) settings(ctx context.Context, dirID string) (engine.Settings, error) {
	js, err := b.st.Settings(ctx, dirID)
	if err != nil {
		return engine.Settings{}, err
	}
	s := engine.DefaultSettings()
	if js != nil {
		if err := json.Unmarshal(js, &s); err != nil {
			return s, apperr.Wrap(err, apperr.StoreCorrupt, "the saved settings cannot be read")
		}
	}
	return s, nil
}

func (b *Backend) Settings(ctx context.Context, id string) (Settings, error) {
	if _, err := b.st.GetDirectory(ctx, id); err != nil {
		return Settings{}, err
	}
	return b.settings(ctx, id)
}

func (b *Backend) SaveSettings(ctx context.Context, id string, s Settings) (Settings, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return Settings{}, err
	}
	n, err := s.Normalize()
	if err != nil {
		return Settings{}, err
	}
	if n.LeaveScope == engine.LeaveScopeSuspend {
		// Suspending goes through the Organizations API: without its key the choice cannot work.
		o, err := b.org(ctx, d)
		if err != nil {
			return Settings{}, err
		}
		if o == nil {
			return Settings{}, apperr.New(apperr.SuspendUnavailable, "suspending the access of users who leave scope needs the organization id and API key, and this directory has none").
				WithAction("Add the organization id and key on the Connection tab, or keep Deactivate.")
		}
	}
	if err := b.st.SaveSettings(ctx, id, n); err != nil {
		return Settings{}, err
	}
	return n, nil
}

// engine builds the directory's engine with its clients for one run; its progress, the Graph
// reader's included, goes to the Emitter.
func (b *Backend) engine(ctx context.Context, d store.Directory, s engine.Settings) (*engine.Engine, error) {
	r, err := b.reader(ctx, d)
	if err != nil {
		return nil, err
	}
	t, err := b.scim(ctx, d, s.MemberChunkSize)
	if err != nil {
		return nil, err
	}
	e := &engine.Engine{DirectoryID: d.ID, Target: adapter.SCIM{SCIM: t}, State: adapter.Store{Store: b.st}, SnapshotDir: b.snapshotDir(), Now: b.opts.Now}
	e.Emit = func(p engine.Progress) {
		b.opts.Emitter.Emit(EventProgress, Progress{DirectoryID: d.ID, RunID: p.RunID, Phase: p.Phase, Done: p.Done, Total: p.Total, Rate: p.Rate, ETASeconds: p.ETASeconds})
	}
	e.Source = adapter.Graph{Reader: r, Progress: func(p entra.Progress) {
		e.EmitProgress(engine.Progress{Phase: engine.PhaseReadTenant, Done: p.Users + p.Groups, ETASeconds: -1})
	}}
	o, err := b.org(ctx, d)
	if err != nil {
		return nil, err
	}
	if o != nil {
		e.Org = adapter.Org{Org: o} // never a typed nil: the engine tells "no organization key" by e.Org == nil
		e.Access = o.Access(t.DirectoryID())
	}
	return e, nil
}

// runSettings are the directory's settings as a run uses them.
func (b *Backend) runSettings(ctx context.Context, dirID string) (engine.Settings, error) {
	s, err := b.settings(ctx, dirID)
	if err != nil {
		return s, err
	}
	return s.Normalize()
}

// previewSpec is how a preview of d is made and recorded, alone or as the first step of a run.
func (b *Backend) previewSpec(d store.Directory, s engine.Settings, full, automatic bool) engine.PreviewSpec {
	return engine.PreviewSpec{DirectoryName: d.Name, Settings: s, Full: full, Automatic: automatic,
		Pin: engine.TenantPin{TenantID: d.TenantID, TenantName: d.TenantName}, AppVersion: version.Version,
		Reports: engine.ReportFiles{Dir: b.reportDir()},
		Prepared: func(ctx context.Context, p *engine.Plan) {
			p.Notices = append(p.Notices, b.sameTenant(ctx, d.ID, p.Tenant.ID)...)
			go b.cacheGroups(d.ID, p.Snapshot)
			b.mu.Lock()
			b.dropPlans(d.ID) // one plan per directory: an older preview can no longer be applied
			b.mu.Unlock()
		}}
}

// tracker shows a run of this app in its directory's status: "previewing" while it prepares,
// "syncing" (and cancellable by Cancel) once it applies.
type tracker struct {
	b                   *Backend
	dirID               string
	cancel              context.CancelFunc
	previewing, syncing bool
}

func (t *tracker) stage(s engine.Stage) {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	switch s {
	case engine.StagePrepare:
		if !t.previewing {
			t.b.previews[t.dirID]++
			t.previewing = true
		}
	case engine.StageApply:
		t.endPreviewLocked()
		// A second sync of the directory in this app is refused by the lock: it must not take
		// the first one's Cancel.
		if _, busy := t.b.runs[t.dirID]; !busy && !t.syncing {
			t.b.runs[t.dirID] = t.cancel
			t.syncing = true
		}
	}
}

func (t *tracker) endPreviewLocked() {
	if t.previewing {
		if t.b.previews[t.dirID]--; t.b.previews[t.dirID] <= 0 {
			delete(t.b.previews, t.dirID)
		}
		t.previewing = false
	}
}

func (t *tracker) done() {
	t.b.mu.Lock()
	defer t.b.mu.Unlock()
	t.endPreviewLocked()
	if t.syncing {
		delete(t.b.runs, t.dirID)
		t.syncing = false
	}
}

// prepare computes a plan for d, records the preview run and its report, and keeps the plan for
// Apply (one per directory).
func (b *Backend) prepare(ctx context.Context, d store.Directory, full bool, automatic bool) (*planEntry, error) {
	s, err := b.runSettings(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	t := &tracker{b: b, dirID: d.ID}
	t.stage(engine.StagePrepare)
	defer t.done()
	e, err := b.engine(ctx, d, s)
	if err != nil {
		return nil, err
	}
	pv, err := e.Preview(ctx, b.previewSpec(d, s, full, automatic))
	if err != nil {
		return nil, err
	}
	pe := b.planEntry(d.ID, pv)
	b.mu.Lock()
	b.plans[pe.id] = pe
	b.mu.Unlock()
	return pe, nil
}

func (b *Backend) planEntry(dirID string, pv *engine.Previewed) *planEntry {
	pv.Plan.ID = engine.NewID()
	pe := &planEntry{id: pv.Plan.ID, dirID: dirID, runID: pv.RunID, plan: pv.Plan, report: pv.ReportPath, created: b.opts.Now()}
	pe.summary = summarize(pe)
	return pe
}

func summarize(pe *planEntry) PlanSummary {
	p := pe.plan
	s := PlanSummary{PlanID: pe.id, DirectoryID: pe.dirID, RunID: pe.runID, TenantID: p.Tenant.ID, TenantName: p.Tenant.DisplayName,
		InitialDomain: p.Tenant.InitialDomain, Domains: slices.Clone(p.Domains), Digest: p.Digest, Full: p.Full, Operations: p.Len(),
		Skips: len(p.Skips), Deactivations: p.Deactivations, ManagedUsers: p.ManagedUsers, ThresholdTripped: p.ThresholdTripped,
		MembershipRemovals: p.MembershipRemovals, ManagedMemberships: p.ManagedMemberships, DeletedGroups: p.DeletedGroups,
		RemovalThresholdTripped: p.RemovalThresholdTripped, ReadShrinkTripped: len(p.ReadShrink) > 0,
		ReportPath: pe.report, Created: rfc(pe.created), ExpiresInSeconds: int(PlanTTL.Seconds()), Conflicts: []Conflict{}, Blocked: []ErrorDTO{},
		Notices: append([]string{}, p.Notices...), OrgChecked: p.OrgChecked, Renames: append([]engine.Rename{}, p.Renames...)}
	if s.Domains == nil {
		s.Domains = []string{}
	}
	s.Counts = engine.Counts(p, p.PlannedResult)
	for _, c := range p.Conflicts {
		dto := Conflict{GroupEntraID: c.GroupEntraID, DisplayName: c.DisplayName, AtlassianID: c.AtlassianID, Decision: c.Decision,
			Scope: c.Scope, DefaultAccess: c.DefaultAccess, CanTakeOver: c.CanTakeOver, Hint: c.Hint,
			AddCount: len(c.Add), RemoveCount: len(c.Remove), WouldAdd: head(c.Add, 200), WouldRemove: head(c.Remove, 200)}
		s.Conflicts = append(s.Conflicts, dto)
	}
	for _, e := range p.Blocked {
		s.Blocked = append(s.Blocked, ErrorDTO{Code: string(e.Code), Message: e.Message, Action: e.Action})
	}
	for _, e := range p.Rails() {
		s.Blocked = append(s.Blocked, ErrorDTO{Code: string(e.Code), Message: e.Message, Action: e.Action})
	}
	return s
}

func head(s []string, n int) []string {
	if s == nil {
		return []string{}
	}
	return s[:min(n, len(s))]
}

func (b *Backend) plan(planID string) (*planEntry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	pe := b.plans[planID]
	if pe == nil {
		return nil, apperr.New(apperr.NotFound, "this preview is no longer available").WithAction("Preview again.")
	}
	if b.opts.Now().Sub(pe.created) > PlanTTL {
		delete(b.plans, planID)
		return nil, expiredPlan()
	}
	return pe, nil
}

func expiredPlan() error {
	return apperr.New(apperr.ConfirmationRequired, "this preview is older than %d minutes", int(PlanTTL.Minutes())).WithAction("Preview again.")
}

// releaseExpired releases the plans of the previews older than PlanTTL, which can no longer be
// applied: a plan of a large directory holds hundreds of megabytes, and an abandoned preview must
// not keep them until the admin's next action. The entry stays (without its plan) so that the
// screen still hears "older than 30 minutes"; plan refuses it before anything reads the plan.
// The GUI's scheduler tick calls it every minute.
func (b *Backend) releaseExpired() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, pe := range b.plans {
		if b.opts.Now().Sub(pe.created) > PlanTTL {
			pe.plan = nil
		}
	}
}

// ReleasePreviews drops the previews of directory id: the admin left its page, so nothing will
// apply them (applying needs the preview on screen), and their memory is released now.
func (b *Backend) ReleasePreviews(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dropPlans(id)
}

// dropPlans forgets the previews of directory id; b.mu is held.
func (b *Backend) dropPlans(id string) {
	for pid, pe := range b.plans {
		if pe.dirID == id {
			delete(b.plans, pid)
		}
	}
}

// Preview reads both sides and computes a plan, kept in memory for Apply (one per directory).
func (b *Backend) Preview(ctx context.Context, id string, o PreviewOptions) (PlanSummary, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return PlanSummary{}, err
	}
	pe, err := b.prepare(ctx, d, o.Full, false)
	if err != nil {
		return PlanSummary{}, err
	}
	return pe.summary, nil
}

// DecideConflict records "take_over" or "skip" for an unmanaged same-named group and replans.
func (b *Backend) DecideConflict(ctx context.Context, planID, groupEntraID, decision string) (PlanSummary, error) {
	pe, err := b.plan(planID)
	if err != nil {
		return PlanSummary{}, err
	}
	if decision != engine.DecisionTakeOver && decision != engine.DecisionSkip && decision != engine.DecisionRetry && decision != "" {
		return PlanSummary{}, apperr.New(apperr.InvalidInput, "unknown decision %q (take_over, skip or retry)", decision)
	}
	if err := checkDecision(pe.plan, groupEntraID, decision); err != nil {
		return PlanSummary{}, err
	}
	if err := b.st.SetDecision(ctx, pe.dirID, groupEntraID, decision); err != nil {
		return PlanSummary{}, err
	}
	return b.Preview(ctx, pe.dirID, PreviewOptions{Full: true})
}

// checkDecision refuses a decision the conflict cannot take: a group outside the SCIM directory
// cannot be taken over (the SCIM API cannot see or write it), and retry is for those only.
func checkDecision(p *engine.Plan, groupEntraID, decision string) error {
	for _, c := range p.Conflicts {
		if c.GroupEntraID != groupEntraID {
			continue
		}
		switch {
		case decision == engine.DecisionTakeOver && !c.CanTakeOver:
			return apperr.New(apperr.InvalidInput, "the group %q is outside the SCIM directory: IdP Sync cannot take it over", c.DisplayName).
				WithAction(c.Hint)
		case decision == engine.DecisionRetry && c.Scope != engine.ConflictInOrganization:
			return apperr.New(apperr.InvalidInput, "retry is for groups outside the SCIM directory; take %q over or skip it", c.DisplayName)
		}
		return nil
	}
	return nil
}

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

// Headless is `idpsync plan` / `idpsync sync`: preview, or one run that previews, checks the
// headless confirmation and applies.
func (b *Backend) Headless(ctx context.Context, id string, o HeadlessOptions) (rs RunSummary, ps PlanSummary, err error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return RunSummary{}, PlanSummary{}, err
	}
	if !o.Apply {
		pe, err := b.prepare(ctx, d, o.Full, o.Automatic)
		if err != nil {
			return RunSummary{}, PlanSummary{}, err
		}
		b.mu.Lock()
		delete(b.plans, pe.id)
		b.mu.Unlock()
		r, _ := b.st.GetRun(ctx, pe.runID)
		return runDTO(r), pe.summary, nil
	}
	if o.Automatic {
		defer func() { b.afterAutomatic(ctx, d, rs, err) }()
	}
	return b.run(ctx, d, runRequest{full: o.Full, automatic: o.Automatic, purpose: "headless sync",
		confirm:   engine.Confirmation{TenantID: o.ConfirmTenant, Domains: o.ConfirmDomains, PlanDigest: o.ConfirmPlanDigest},
		overrides: engine.Overrides{Threshold: o.OverrideThreshold, RemovalThreshold: o.OverrideRemovalThreshold, ReadShrink: o.OverrideReadShrink}})
}

// ---- history and reports

func runDTO(r store.Run) RunSummary {
	rs := RunSummary{RunID: r.ID, DirectoryID: r.DirectoryID, Kind: r.Kind, Status: r.Status, Started: rfc(r.Started), Ended: rfc(r.Ended),
		Full: r.Full, Automatic: r.Automatic, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage, ReportPath: r.ReportPath, Counts: []report.Count{}}
	if !r.Ended.IsZero() {
		rs.DurationMillis = r.Ended.Sub(r.Started).Milliseconds()
	}
	_ = json.Unmarshal([]byte(r.Counts), &rs.Counts)
	for _, c := range rs.Counts {
		if r.Kind != "apply" {
			continue
		}
		switch c.Result {
		case report.ResultSucceeded:
			rs.Done += c.N
		case report.ResultFailed:
			rs.Done += c.N
			rs.Failed += c.N
		case report.ResultPlanned:
			rs.NotDone += c.N // an apply's planned operation is one it never ran (cancelled, stopped)
		}
	}
	return rs
}

func (b *Backend) Runs(ctx context.Context, id string, limit int) ([]RunSummary, error) {
	rs, err := b.st.Runs(ctx, id, "", limit)
	if err != nil {
		return nil, err
	}
	out := make([]RunSummary, 0, len(rs))
	for _, r := range rs {
		out = append(out, runDTO(r))
	}
	return out, nil
}

func (b *Backend) Run(ctx context.Context, runID string) (RunSummary, error) {
	r, err := b.st.GetRun(ctx, runID)
	if err != nil {
		return RunSummary{}, err
	}
	return runDTO(r), nil
}

// ReportPath returns the JSON report file of a run.
func (b *Backend) ReportPath(ctx context.Context, runID string) (string, error) {
	r, err := b.st.GetRun(ctx, runID)
	if err != nil {
		return "", err
	}
	if r.ReportPath == "" {
		return "", apperr.New(apperr.NotFound, "run %s has no report", runID)
	}
	return r.ReportPath, nil
}

// OpenReport opens the report of a run for paging, as the report screen does: the preview's
// operations and skips and a run's are served by the one report.View. The caller closes it.
func (b *Backend) OpenReport(ctx context.Context, runID string) (*report.View, error) {
	path, err := b.ReportPath(ctx, runID)
	if err != nil {
		return nil, err
	}
	return report.OpenView(path)
}
