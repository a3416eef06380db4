package store

import (
	"context"
	"database/sql"
	"iter"
	"slices"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Run is one preview or apply.
type Run struct {
	ID           string
	DirectoryID  string
	Kind         string // preview | apply
	Status       string // report.Status values
	Full         bool
	Automatic    bool
	Started      time.Time
	Ended        time.Time
	Counts       string // JSON
	Settings     string // JSON
	ReportPath   string
	ErrorCode    string
	ErrorMessage string
	PID          int
	Host         string
}

const runCols = `id, directory_id, kind, status, full, automatic, started, ended, counts, settings, report_path, error_code, error_message, pid, host`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var full, auto int
	var st, en string
	err := sc.Scan(&r.ID, &r.DirectoryID, &r.Kind, &r.Status, &full, &auto, &st, &en, &r.Counts, &r.Settings, &r.ReportPath, &r.ErrorCode, &r.ErrorMessage, &r.PID, &r.Host)
	r.Full, r.Automatic, r.Started, r.Ended = full != 0, auto != 0, parseTS(st), parseTS(en)
	return r, err
}

// PutRun inserts or replaces r.
func (s *Store) PutRun(ctx context.Context, r Run) error {
	if r.Counts == "" {
		r.Counts = "[]"
	}
	if r.Settings == "" {
		r.Settings = "{}"
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO runs (`+runCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET status=excluded.status, full=excluded.full, ended=excluded.ended, counts=excluded.counts, settings=excluded.settings,
		report_path=excluded.report_path, error_code=excluded.error_code, error_message=excluded.error_message`,
		r.ID, r.DirectoryID, r.Kind, r.Status, b2i(r.Full), b2i(r.Automatic), ts(r.Started), ts(r.Ended), r.Counts, r.Settings, r.ReportPath, r.ErrorCode, r.ErrorMessage, r.PID, r.Host)
	return dbErr(err, "save run")
}

// GetRun returns one run.
func (s *Store) GetRun(ctx context.Context, id string) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id=?`, id))
	if err != nil {
		return r, notFound(err, "no run %s", id)
	}
	return r, nil
}

// Runs returns a directory's runs, newest first; status filters when not empty.
func (s *Store) Runs(ctx context.Context, dirID, status string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 50
	}
	q := `SELECT ` + runCols + ` FROM runs WHERE directory_id=?`
	args := []any{dirID}
	if status != "" {
		q += ` AND status=?`
		args = append(args, status)
	}
	q += ` ORDER BY started DESC LIMIT ?`
	args = append(args, limit)
	return allRows(ctx, s, "list runs", q, args, scanRun)
}

// Entry is one journaled apply unit.
type Entry struct {
	Seq    int
	Op     []byte // JSON of the engine's unit
	State  string // the caller's value (the engine's JournalPending, JournalDone, JournalFailed); never empty
	Result string // JSON or text: the SCIM id created, the error code
}

// JournalAdd writes entries in one transaction, before the apply runs them. The store keeps the
// state it is given and defines none: the engine owns the journal's states, and an entry without
// one is refused rather than given a value the engine might not know.
func (s *Store) JournalAdd(ctx context.Context, runID string, es []Entry) error {
	return s.JournalAddSeq(ctx, runID, slices.Values(es))
}

// JournalAddSeq is JournalAdd of what es yields: a caller converting from its own type (the
// engine's adapter, one entry per apply unit) builds no second slice of them.
func (s *Store) JournalAddSeq(ctx context.Context, runID string, es iter.Seq[Entry]) error {
	return eachInTx(ctx, s, "write journal", []string{`INSERT INTO journal (run_id, seq, op, state, result, updated) VALUES (?,?,?,?,?,?)`}, es,
		func(st []*sql.Stmt, e Entry, now string) error {
			if err := stated(runID, e); err != nil {
				return err
			}
			_, err := st[0].ExecContext(ctx, runID, e.Seq, string(e.Op), e.State, e.Result, now)
			return err
		})
}

// stated refuses an entry without a state: the store keeps the engine's states, it invents none.
func stated(runID string, e Entry) error {
	if e.State == "" {
		return apperr.New(apperr.Internal, "journal entry %d of run %s has no state", e.Seq, runID)
	}
	return nil
}

// JournalMark records the outcome of entries (by Seq) in one transaction.
func (s *Store) JournalMark(ctx context.Context, runID string, es []Entry) error {
	return s.JournalMarkSeq(ctx, runID, slices.Values(es))
}

// JournalMarkSeq is JournalMark of what es yields.
func (s *Store) JournalMarkSeq(ctx context.Context, runID string, es iter.Seq[Entry]) error {
	return eachInTx(ctx, s, "write journal", []string{`UPDATE journal SET state=?, result=?, updated=? WHERE run_id=? AND seq=?`}, es,
		func(st []*sql.Stmt, e Entry, now string) error {
			if err := stated(runID, e); err != nil {
				return err
			}
			_, err := st[0].ExecContext(ctx, e.State, e.Result, now, runID, e.Seq)
			return err
		})
}

// Journal returns a run's entries in seq order; state filters when not empty.
func (s *Store) Journal(ctx context.Context, runID, state string) ([]Entry, error) {
	var out []Entry
	err := s.EachJournalEntry(ctx, runID, state, func(e Entry) { out = append(out, e) })
	return out, err
}

// EachJournalEntry calls fn with a run's entries in seq order, one row at a time; state filters
// when not empty.
func (s *Store) EachJournalEntry(ctx context.Context, runID, state string, fn func(Entry)) error {
	q := `SELECT seq, op, state, result FROM journal WHERE run_id=?`
	args := []any{runID}
	if state != "" {
		q += ` AND state=?`
		args = append(args, state)
	}
	return eachRow(ctx, s, "read journal", q+` ORDER BY seq`, args, func(rows *sql.Rows) error {
		var e Entry
		var op string
		if err := rows.Scan(&e.Seq, &op, &e.State, &e.Result); err != nil {
			return err
		}
		e.Op = []byte(op)
		fn(e)
		return nil
	})
}
