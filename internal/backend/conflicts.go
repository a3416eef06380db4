package backend

import (
	"context"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	idsync "github.com/idpsync/idpsync/internal/sync"
)

// DecideByName is the headless form of DecideConflict: it previews the directory, finds the
// conflict of the group named groupName (Entra or Atlassian name, case-insensitive), records the
// decision and previews again, returning the new plan (which is not kept for an apply: the
// headless sync plans again under its lock).
func (b *Backend) DecideByName(ctx context.Context, dirID, groupName, decision string) (PlanSummary, error) {
	if decision != idsync.DecisionTakeOver && decision != idsync.DecisionSkip && decision != idsync.DecisionRetry && decision != "" {
		return PlanSummary{}, apperr.New(apperr.InvalidInput, "unknown decision %q (take_over, skip, retry, or empty to forget it)", decision)
	}
	d, err := b.st.GetDirectory(ctx, dirID)
	if err != nil {
		return PlanSummary{}, err
	}
	pe, err := b.prepare(ctx, d, true, false)
	if err != nil {
		return PlanSummary{}, err
	}
	b.forget(pe.id)
	var c *idsync.Conflict
	for i := range pe.plan.Conflicts {
		if strings.EqualFold(strings.TrimSpace(pe.plan.Conflicts[i].DisplayName), strings.TrimSpace(groupName)) {
			c = &pe.plan.Conflicts[i]
		}
	}
	if c == nil {
		return PlanSummary{}, apperr.New(apperr.NotFound, "the preview shows no conflict for a group named %q", groupName).
			WithAction("Run `idpsync plan` to see the conflicts and their names.")
	}
	if err := checkDecision(pe.plan, c.GroupEntraID, decision); err != nil {
		return PlanSummary{}, err
	}
	if err := b.st.SetDecision(ctx, dirID, c.GroupEntraID, decision); err != nil {
		return PlanSummary{}, err
	}
	pe, err = b.prepare(ctx, d, true, false)
	if err != nil {
		return PlanSummary{}, err
	}
	b.forget(pe.id)
	return pe.summary, nil
}

func (b *Backend) forget(planID string) {
	b.mu.Lock()
	delete(b.plans, planID)
	b.mu.Unlock()
}
