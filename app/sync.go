package app

import (
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/report"
)

// SyncService serves the preview, the domain confirmation dialog, conflicts, progress (through
// the sync:progress and sync:done events), history and troubleshooting.
type SyncService struct {
	env  *env
	core *core
	wait time.Duration // tests: how long Apply waits for the end (0: applyWait)
}

// Preview reads both sides and returns the plan's summary; its operations and skips are paged
// from the preview's report (ReportService.OpenRun of the summary's RunID), as a run's are.
func (s *SyncService) Preview(id string, full bool) (backend.PlanSummary, error) {
	return with(s.core, "Preview", func(b *backend.Backend) (backend.PlanSummary, error) {
		return b.Preview(s.core.ctx, id, backend.PreviewOptions{Full: full})
	})
}

// DecideConflict takes over ("take_over") or skips ("skip") a same-named unmanaged group and
// returns the new preview.
func (s *SyncService) DecideConflict(planID, groupEntraID, decision string) (backend.PlanSummary, error) {
	return with(s.core, "DecideConflict", func(b *backend.Backend) (backend.PlanSummary, error) {
		return b.DecideConflict(s.core.ctx, planID, groupEntraID, decision)
	})
}

// EventApplied is emitted by Apply when a sync it started ends: Applied.
const EventApplied = "sync:applied"

// Applied is how a sync started by Apply ended: its run (when one was recorded) and its error.
type Applied struct {
	DirectoryID string              `json:"directoryId"`
	Run         *backend.RunSummary `json:"run,omitempty"`
	Error       *ErrorPayload       `json:"error,omitempty"`
}

// ApplyResult is Apply's answer: the finished run, or Started when the sync still runs (its end
// then arrives as the sync:applied event, its progress as sync:progress).
type ApplyResult struct {
	Started bool                `json:"started"`
	Run     *backend.RunSummary `json:"run,omitempty"`
}

// applyWait is how long Apply waits before answering "started": refusals (confirmation, lock)
// come back as errors at once, while a long sync does not hold the call. A held call would block
// every other call of the page under wails dev, whose bridge answers one message at a time, and
// with it the Cancel button.
const applyWait = 1500 * time.Millisecond

// Apply runs a previewed plan of directory id once the dialog's confirmation matches it.
func (s *SyncService) Apply(id, planID string, c backend.Confirmation) (ApplyResult, error) {
	return with(s.core, "Apply", func(b *backend.Backend) (ApplyResult, error) {
		done := make(chan struct{})
		var rs backend.RunSummary
		var err error
		go func() {
			defer close(done)
			defer func() {
				if p := recover(); p != nil {
					slog.Error("sync panicked", "panic", p, "stack", string(debug.Stack()))
					err = apperr.New(apperr.Internal, "the sync failed unexpectedly").WithAction("This is a bug in IdP Sync. Try again; if it happens again, report it.")
				}
				a := Applied{DirectoryID: id}
				if rs.RunID != "" {
					a.Run = &rs
				}
				if err != nil {
					e := FormatError(err).(ErrorPayload)
					a.Error = &e
				}
				s.core.Emit(EventApplied, a)
			}()
			rs, err = b.Apply(s.core.ctx, planID, c)
		}()
		wait := s.wait
		if wait == 0 {
			wait = applyWait
		}
		select {
		case <-done:
			if err != nil {
				return ApplyResult{}, err
			}
			return ApplyResult{Run: &rs}, nil
		case <-time.After(wait):
			return ApplyResult{Started: true}, nil
		}
	})
}

// Cancel stops the directory's running sync after the operations in flight.
func (s *SyncService) Cancel(id string) (Done, error) {
	return with(s.core, "Cancel", func(b *backend.Backend) (Done, error) {
		return Done{OK: true}, b.Cancel(s.core.ctx, id)
	})
}

// ReleasePreviews releases the previews of a directory whose page closed: an unapplied plan of a
// large directory holds hundreds of megabytes until its 30 minutes expire otherwise.
func (s *SyncService) ReleasePreviews(id string) (Done, error) {
	return with(s.core, "ReleasePreviews", func(b *backend.Backend) (Done, error) {
		b.ReleasePreviews(id)
		return Done{OK: true}, nil
	})
}

// HistoryRow is one run with the name of its directory.
type HistoryRow struct {
	Run           backend.RunSummary `json:"run"`
	DirectoryName string             `json:"directoryName"`
}

// maxHistory bounds one history page: the screen lists recent runs, the reports keep the rest.
const maxHistory = 500

// History lists the runs of one directory (id) or of all (id ""), newest first.
func (s *SyncService) History(id string, limit int) ([]HistoryRow, error) {
	return with(s.core, "History", func(b *backend.Backend) ([]HistoryRow, error) {
		if limit <= 0 || limit > maxHistory {
			limit = maxHistory
		}
		dirs, err := b.ListDirectories(s.core.ctx)
		if err != nil {
			return nil, err
		}
		out := []HistoryRow{}
		for _, d := range dirs {
			if id != "" && d.ID != id {
				continue
			}
			runs, err := b.Runs(s.core.ctx, d.ID, limit)
			if err != nil {
				return nil, err
			}
			for _, r := range runs {
				out = append(out, HistoryRow{Run: r, DirectoryName: d.Name})
			}
		}
		// RFC 3339 UTC strings sort by time.
		slices.SortStableFunc(out, func(a, b HistoryRow) int { return strings.Compare(b.Run.Started, a.Run.Started) })
		return out[:min(len(out), limit)], nil
	})
}

// Problem is one error of a recent run for the troubleshooting screen: the run's own error, or
// a failed operation with the object it concerned.
type Problem struct {
	RunID   string            `json:"runId"`
	Started string            `json:"started"`
	Kind    string            `json:"kind"` // preview | apply
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Object  *report.ObjectRef `json:"object,omitempty"`
	Group   *report.ObjectRef `json:"group,omitempty"`
	Action  report.Action     `json:"action,omitempty"` // the operation's action, for failed operations
}

// troubleRuns is how many recent runs the troubleshooting screen looks through.
const troubleRuns = 10

// Troubleshooting returns the errors of the directory's last runs, newest first: each run's own
// error and up to 50 failed operations per run.
func (s *SyncService) Troubleshooting(id string) ([]Problem, error) {
	return with(s.core, "Troubleshooting", func(b *backend.Backend) ([]Problem, error) {
		runs, err := b.Runs(s.core.ctx, id, troubleRuns)
		if err != nil {
			return nil, err
		}
		out := []Problem{}
		for _, r := range runs {
			if r.ErrorCode != "" {
				out = append(out, Problem{RunID: r.RunID, Started: r.Started, Kind: r.Kind, Code: r.ErrorCode, Message: r.ErrorMessage})
			}
			if r.ReportPath == "" || !hasFailures(r) {
				continue
			}
			v, err := b.OpenReport(s.core.ctx, r.RunID)
			if err != nil {
				continue // a report removed by hand: the run's own error still shows
			}
			page := v.Operations(report.Query{Results: []report.Result{report.ResultFailed}, Limit: 50})
			v.Close()
			for _, op := range page.Rows {
				obj := op.Object
				out = append(out, Problem{RunID: r.RunID, Started: r.Started, Kind: r.Kind, Code: op.Code, Message: op.Message,
					Object: &obj, Group: op.Group, Action: op.Action})
			}
		}
		return out, nil
	})
}

func hasFailures(r backend.RunSummary) bool {
	for _, c := range r.Counts {
		if c.Result == "failed" && c.N > 0 {
			return true
		}
	}
	return false
}
