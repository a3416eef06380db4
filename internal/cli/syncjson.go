package cli

import (
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
)

// planDocument is `idpsync plan --json`: the plan summary the app's preview shows.
type planDocument struct {
	backend.PlanSummary
}

// syncDocument is `idpsync sync --json`: the plan that was checked (absent when the run failed
// before a plan existed), the applied run (absent when nothing was applied) and the error that
// stopped it, if any.
type syncDocument struct {
	Plan  *backend.PlanSummary `json:"plan"`
	Run   *backend.RunSummary  `json:"run"`
	Error *backend.ErrorDTO    `json:"error"`
}

func planDoc(p backend.PlanSummary) planDocument { return planDocument{p} }

func syncDoc(p backend.PlanSummary, r backend.RunSummary, err error) syncDocument {
	var doc syncDocument
	if p.PlanID != "" {
		doc.Plan = &p
	}
	if r.RunID != "" {
		doc.Run = &r
	}
	if err != nil {
		e := apperr.As(err)
		doc.Error = &backend.ErrorDTO{Code: string(e.Code), Message: e.Message, Action: e.Action}
	}
	return doc
}
