package backend

import (
	"context"

	"github.com/idpsync/idpsync/internal/engine"
)

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
