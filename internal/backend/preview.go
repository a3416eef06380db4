package backend

import (
	"context"
	"slices"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/store"
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
