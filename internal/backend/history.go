package backend

import (
	"context"
	"encoding/json"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/report"
	"github.com/idpsync/idpsync/internal/store"
)

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
