package engine

import (
	"io"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/report"
)

// RunInfo is what a report needs beyond the plan and the outcome.
type RunInfo struct {
	RunID         string
	AppVersion    string
	DirectoryID   string
	DirectoryName string
	Kind          report.Kind
	Confirmed     report.Confirmation
	Started       time.Time
	Err           error // a run-level error (blocked, failed before apply)
}

// BuildReport fills the report document of a run: settings, tenant, confirmation, every operation
// with its result, every skip with its reason, run errors with their codes. p may be nil when the
// run failed before planning.
func BuildReport(info RunInfo, p *Plan, out *Outcome) *report.Report {
	r, result := buildReport(info, p, out)
	if p == nil {
		return r
	}
	r.Operations = make([]report.Operation, p.Len())
	// One group reference per group, shared by its memberships (read-only in the report package).
	groups := map[*GroupRef]*report.ObjectRef{}
	for i, op := range p.All() {
		r.Operations[i] = reportOp(&op, out, i, result(i), groups)
	}
	return r
}

// WriteReport writes the report BuildReport would fill to w, converting the operations one at a
// time instead of holding them all (millions of memberships on a large initial sync: the report
// copy was the peak of the run's memory), and returns the document without its operations.
func WriteReport(w io.Writer, info RunInfo, p *Plan, out *Outcome, opts report.WriteOptions) (*report.Report, error) {
	r, result := buildReport(info, p, out)
	rw, err := report.NewWriter(w, r, opts)
	if err != nil {
		return r, err
	}
	if p != nil {
		groups := map[*GroupRef]*report.ObjectRef{}
		for i, op := range p.All() {
			ro := reportOp(&op, out, i, result(i), groups)
			if err := rw.WriteOperation(&ro); err != nil {
				return r, err
			}
		}
	}
	for i := range r.Skips {
		if err := rw.WriteSkip(&r.Skips[i]); err != nil {
			return r, err
		}
	}
	return r, rw.Close(r)
}

// buildReport fills everything but the operations, and says each operation's result.
func buildReport(info RunInfo, p *Plan, out *Outcome) (*report.Report, func(int) report.Result) {
	r := &report.Report{Schema: "idpsync.report", Version: report.SchemaVersion, AppVersion: info.AppVersion, RunID: info.RunID,
		Kind: info.Kind, Directory: report.DirectoryRef{ID: info.DirectoryID, Name: info.DirectoryName},
		Confirmed: info.Confirmed, Started: info.Started, Ended: time.Now(), Operations: []report.Operation{}, Skips: []report.Skip{}}
	switch {
	case info.Err != nil && apperr.CodeOf(info.Err) == apperr.Canceled:
		r.Status = report.StatusCanceled
	case info.Err != nil && isBlocking(apperr.CodeOf(info.Err)):
		r.Status = report.StatusBlocked
	case info.Err != nil:
		r.Status = report.StatusFailed
	case out != nil:
		r.Status = out.Status
	default:
		r.Status = report.StatusPlanned
	}
	if info.Err != nil {
		ae := apperr.As(info.Err)
		r.Errors = append(r.Errors, report.RunError{Code: string(ae.Code), Message: ae.Message, Action: ae.Action})
	}
	if p == nil {
		return r, nil
	}
	r.Tenant = report.TenantRef{ID: p.Tenant.ID, Name: p.Tenant.DisplayName, InitialDomain: p.Tenant.InitialDomain}
	if r.Confirmed.Domains == nil {
		r.Confirmed.Domains = p.Domains
	}
	r.Confirmed.PlanDigest = p.Digest
	s := p.Settings
	r.Settings = report.Settings{DomainMode: s.DomainMode, Domains: s.Domains, UserMode: s.UserMode, Groups: s.Groups, IncludeDisabled: s.IncludeDisabled,
		IncludeExternal: s.IncludeExternal, DeactivationMaxCount: s.DeactivationMaxCount, DeactivationMaxPercent: s.DeactivationMaxPercent,
		RemovalMaxCount: s.RemovalMaxCount, RemovalMaxPercent: s.RemovalMaxPercent,
		ProtectedGroups: s.ProtectedGroups, DeleteOutOfScopeGroups: s.DeleteOutOfScopeGroups, Incremental: !p.Full,
		LeaveScope: reportLeaveScope(s.LeaveScope)}
	r.Phases = append(r.Phases, p.Phases...)
	r.Notices = append(r.Notices, p.Notices...)
	for _, b := range p.Blocked {
		if info.Err == nil || apperr.As(info.Err) != b {
			r.Errors = append(r.Errors, report.RunError{Code: string(b.Code), Message: b.Message, Action: b.Action})
		}
	}
	result := func(i int) report.Result {
		if out != nil {
			return out.Result(i).Result
		}
		return p.PlannedResult(i)
	}
	if out != nil {
		r.Phases = append(r.Phases, out.Phases...)
		r.Errors = append(r.Errors, out.Errors...)
		r.Ended = out.Ended
	}
	r.Counts = Counts(p, result)
	r.Skips = append(r.Skips, p.Skips...)
	return r, result
}

// ReportOp converts one op (and its outcome, when applied) to the report's shape.
func ReportOp(op *Op, out *Outcome, i int, res report.Result) report.Operation {
	return reportOp(op, out, i, res, nil)
}

// reportOp is ReportOp sharing the group references of groups (when not nil).
func reportOp(op *Op, out *Outcome, i int, res report.Result, groups map[*GroupRef]*report.ObjectRef) report.Operation {
	ro := report.Operation{Seq: op.Seq, Action: op.Action, Chain: op.Chain, Changes: op.Changes, Reason: op.Reason, Result: res, Warning: op.Warning}
	typ := op.Object()
	if typ == "membership" {
		typ = "user"
	}
	ro.Object = report.ObjectRef{Type: typ, Name: op.Name, Email: op.Email, EntraID: op.EntraID, AtlassianID: op.SCIMID}
	if op.Group != nil && typ != "group" {
		ro.Group = groups[op.Group]
		if ro.Group == nil {
			ro.Group = &report.ObjectRef{Type: "group", Name: op.Group.Name, EntraID: op.Group.EntraID, AtlassianID: op.Group.SCIMID}
			if groups != nil {
				groups[op.Group] = ro.Group
			}
		}
	}
	if out != nil {
		r := out.Result(i)
		ro.Code, ro.Message = r.Code, r.Message
		if r.SCIMID != "" {
			ro.Object.AtlassianID = r.SCIMID
		}
	}
	if op.Action == report.ConflictGroup && out == nil {
		ro.Code = string(apperr.ConflictUnresolved)
	}
	return ro
}

func isBlocking(c apperr.Code) bool {
	switch c {
	case apperr.ThresholdExceeded, apperr.ConfirmationRequired, apperr.PlanLimitExceeded, apperr.ConflictUnresolved, apperr.TenantMismatch:
		return true
	}
	return false
}

// reportLeaveScope is the report's leaveScope: absent for the default (deactivate), so that a
// report of a directory that never chose "suspend access" is byte for byte what it was.
func reportLeaveScope(mode string) string {
	if mode == LeaveScopeSuspend {
		return mode
	}
	return ""
}
