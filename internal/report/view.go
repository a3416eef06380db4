package report

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Summary is the report's first screen: everything but the operation and skip lists, plus totals.
type Summary struct {
	RunID         string        `json:"runId"`
	Kind          Kind          `json:"kind"`
	Status        Status        `json:"status"`
	AppVersion    string        `json:"appVersion"`
	Directory     DirectoryRef  `json:"directory"`
	Tenant        TenantRef     `json:"tenant"`
	Confirmed     Confirmation  `json:"confirmation"`
	Settings      Settings      `json:"settings"`
	Started       time.Time     `json:"started"`
	Ended         time.Time     `json:"ended"`
	DurationNs    time.Duration `json:"durationNs"`
	Phases        []Phase       `json:"phases"`
	Counts        []Count       `json:"counts"`
	Errors        []RunError    `json:"errors,omitempty"`
	Operations    int           `json:"operations"`
	Skips         int           `json:"skips"`
	Failed        int           `json:"failed"`
	Pseudonymized bool          `json:"pseudonymized"`
	Source        *Info         `json:"source,omitempty"` // set for a report opened from a file
}

// Summarize builds the summary of r.
func Summarize(r *Report) Summary {
	s := Summary{RunID: r.RunID, Kind: r.Kind, Status: r.Status, AppVersion: r.AppVersion, Directory: r.Directory,
		Tenant: r.Tenant, Confirmed: r.Confirmed, Settings: r.Settings, Started: r.Started, Ended: r.Ended,
		Phases: r.Phases, Counts: r.Counts, Errors: r.Errors, Operations: len(r.Operations), Skips: len(r.Skips),
		Pseudonymized: r.Pseudonymized}
	if !r.Started.IsZero() && r.Ended.After(r.Started) {
		s.DurationNs = r.Ended.Sub(r.Started)
	}
	if s.Counts == nil {
		s.Counts = TallyCounts(r.Operations)
	}
	for i := range r.Operations {
		if r.Operations[i].Result == ResultFailed {
			s.Failed++
		}
	}
	return s
}

// Query filters and pages a report's operations or skips. Empty fields match everything.
type Query struct {
	Text        string   `json:"text"` // every whitespace-separated term must appear (case-insensitive)
	Actions     []Action `json:"actions,omitempty"`
	Results     []Result `json:"results,omitempty"`
	ObjectTypes []string `json:"objectTypes,omitempty"`
	Offset      int      `json:"offset"`
	Limit       int      `json:"limit"` // 0 means 100; at most 1000
}

// OperationPage is one page of matching operations.
type OperationPage struct {
	Total  int         `json:"total"` // matching rows, all pages
	Offset int         `json:"offset"`
	Rows   []Operation `json:"rows"`
	Index  []int       `json:"index"` // each row's position in the report, for a detail call
}

// SkipPage is one page of matching skips.
type SkipPage struct {
	Total  int    `json:"total"`
	Offset int    `json:"offset"`
	Rows   []Skip `json:"rows"`
	Index  []int  `json:"index"`
}

// View serves a report to the screens: the summary and filtered pages of 100,000+ rows. A view
// opened from a file keeps its operations and skips on disk (see spool) and a search index of
// their text (see searchIndex): memory is ~15 bytes per entry whatever the file holds, and a text
// query reads from disk only the rows of its page. A view of a report in memory (a run just made)
// pages it there; search text is lowercased once per row, on the first text query. Its methods
// are safe for concurrent use (they take turns); Close releases a file view's temporary file.
type View struct {
	Report  *Report
	Info    *Info
	opsHay  []string
	skipHay []string

	ops, skips       *spool       // a file view: the lists are on disk and Report holds neither
	opsIdx, skipsIdx *searchIndex // a file view: its lists' search text
	summary          Summary      // a file view's summary, tallied while its lists were spooled

	mu               sync.Mutex // one query at a time; Close waits for it
	closed           bool
	newOps, newSkips newest // the newest query of each table (NewestOperations, NewestSkips)
}

// NewView wraps a report (info may be nil for a run from history).
func NewView(r *Report, info *Info) *View { return &View{Report: r, Info: info} }

// OpenView opens a report file for the screens, paged from disk.
func OpenView(path string) (*View, error) { return OpenViewLimits(path, DefaultLimits) }

// OpenViewLimits is OpenView with explicit limits.
func OpenViewLimits(path string, lim Limits) (*View, error) {
	ops, err := newSpool(3)
	if err != nil {
		return nil, err
	}
	skips, err := newSpool(1)
	if err != nil {
		ops.close()
		return nil, err
	}
	v := &View{ops: ops, skips: skips, opsIdx: newSearchIndex(), skipsIdx: newSearchIndex()}
	onOp := func(op *Operation) error {
		v.opsIdx.addOp(op)
		return ops.putOperation(op)
	}
	onSkip := func(sk *Skip) error {
		v.skipsIdx.addSkip(sk)
		return skips.putSkip(sk)
	}
	s, rep, info, err := summarizeFile(path, lim, onOp, onSkip)
	if err == nil {
		err = ops.finish()
	}
	if err == nil {
		err = skips.finish()
	}
	if err != nil {
		v.Close()
		return nil, err
	}
	v.opsIdx.done()
	v.skipsIdx.done()
	v.Report, v.Info, v.summary = rep, &info, s
	return v, nil
}

// Close releases the temporary file of a view opened from a file, once the query in progress
// (if any) has answered; later queries answer "no longer open".
func (v *View) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.closed = true
	v.ops.close()
	v.skips.close()
}

// IndexBytes is the memory of a file view's search index (0 for a view of a report in memory).
func (v *View) IndexBytes() int { return v.opsIdx.Bytes() + v.skipsIdx.Bytes() }

func errClosed() error {
	return apperr.New(apperr.NotFound, "this report is no longer open").WithAction("Open the report again.")
}

// Summary returns the report's summary.
func (v *View) Summary() Summary {
	if v.ops != nil {
		s := v.summary
		s.Source = v.Info
		return s
	}
	s := Summarize(v.Report)
	s.Source = v.Info
	return s
}

// opHay and skipHay are an entry's search text: its fields lowercased, each followed by \x01, as
// the search index's parts hold them (appendRef, appendOpRest, appendSkipRest: one list of the
// fields searched).
func opHay(op *Operation) string {
	b := append(strconv.AppendInt(nil, int64(op.Seq), 10), 1)
	b = appendRef(b, &op.Object)
	if op.Group != nil {
		b = appendRef(b, op.Group)
	}
	return strings.ToLower(string(appendOpRest(b, op)))
}

func skipHay(s *Skip) string {
	b := appendSkipRest(appendRef(nil, &s.Object), s)
	return strings.ToLower(string(b[:len(b)-1])) // a skip's text ends with its detail, no separator
}

func terms(text string) []string { return strings.Fields(strings.ToLower(text)) }

func matchTerms(hay string, ts []string) bool {
	for _, t := range ts {
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}

func in[T comparable](list []T, v T) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// keepsOp is q's filters (not its text) applied to an operation: the one rule for views in
// memory, spooled rows decoded for a search, and rows whose codes the spool does not know.
func (q Query) keepsOp(op *Operation) bool {
	return in(q.Actions, op.Action) && in(q.Results, op.Result) && in(q.ObjectTypes, op.Object.Type)
}

// keepsSkip is q's filters applied to a skip (Actions and Results do not apply).
func (q Query) keepsSkip(s *Skip) bool { return in(q.ObjectTypes, s.Object.Type) }

func (q *Query) bounds() (int, int) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > 1000 {
		limit = 1000
	}
	off := q.Offset
	if off < 0 {
		off = 0
	}
	return off, limit
}

// page filters items by keep and the query's text (against hay, built on first use) and returns
// the total and the rows of the page.
func page[T any](items []T, hay *[]string, mkHay func(*T) string, q Query, keep func(*T) bool) (total int, rows []T, index []int) {
	ts := terms(q.Text)
	if len(ts) > 0 && *hay == nil {
		h := make([]string, len(items))
		for i := range items {
			h[i] = mkHay(&items[i])
		}
		*hay = h
	}
	off, limit := q.bounds()
	rows, index = []T{}, []int{}
	for i := range items {
		it := &items[i]
		if !keep(it) || (len(ts) > 0 && !matchTerms((*hay)[i], ts)) {
			continue
		}
		if total >= off && len(rows) < limit {
			rows = append(rows, *it)
			index = append(index, i)
		}
		total++
	}
	return total, rows, index
}

// Operations returns the page of operations matching q.
func (v *View) Operations(q Query) OperationPage {
	pg, _ := v.operations(q, never)
	return pg
}

// NewestOperations is Operations for a screen that queries as the admin types: a query whose
// text or filters differ from the previous call's supersedes it, and the superseded call (still
// running or waiting for its turn) answers apperr.Canceled instead of finishing its scan.
func (v *View) NewestOperations(q Query) (OperationPage, error) {
	return v.operations(q, v.newOps.stale(v.newOps.begin(q)))
}

func (v *View) operations(q Query, stop func() bool) (OperationPage, error) {
	return inTurn(v, stop, func() (OperationPage, error) { return v.spooledOps(q, stop) }, func() OperationPage {
		total, rows, index := page(v.Report.Operations, &v.opsHay, opHay, q, q.keepsOp)
		off, _ := q.bounds()
		return OperationPage{Total: total, Offset: off, Rows: rows, Index: index}
	})
}

// inTurn answers one query in the view's turn: from the spool for a file view, else from memory;
// refused once the view is closed or the query superseded while it waited.
func inTurn[P any](v *View, stop func() bool, spooled func() (P, error), inMemory func() P) (P, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var none P
	switch {
	case v.closed:
		return none, errClosed()
	case stop():
		return none, errSuperseded()
	case v.ops != nil:
		return spooled()
	}
	return inMemory(), nil
}

// Skips returns the page of skips matching q (Actions and Results do not apply).
func (v *View) Skips(q Query) SkipPage {
	pg, _ := v.skipsPage(q, never)
	return pg
}

// NewestSkips is Skips with NewestOperations' superseding, for the skips table.
func (v *View) NewestSkips(q Query) (SkipPage, error) {
	return v.skipsPage(q, v.newSkips.stale(v.newSkips.begin(q)))
}

func (v *View) skipsPage(q Query, stop func() bool) (SkipPage, error) {
	return inTurn(v, stop, func() (SkipPage, error) { return v.spooledSkips(q, stop) }, func() SkipPage {
		total, rows, index := page(v.Report.Skips, &v.skipHay, skipHay, q, q.keepsSkip)
		off, _ := q.bounds()
		return SkipPage{Total: total, Offset: off, Rows: rows, Index: index}
	})
}

// Operation returns the operation at index i (from a page's Index), or false.
func (v *View) Operation(i int) (Operation, bool) {
	if v.ops != nil {
		if i < 0 || i >= v.ops.n {
			return Operation{}, false
		}
		return v.ops.cursor().operation(i)
	}
	if i < 0 || i >= len(v.Report.Operations) {
		return Operation{}, false
	}
	return v.Report.Operations[i], true
}

// SummarizeFile reads the summary of a report file without holding its operations (for a list of
// report files): the counts come from the file, or are tallied while streaming.
func SummarizeFile(path string) (Summary, error) {
	s, _, _, err := summarizeFile(path, DefaultLimits, nil, nil)
	return s, err
}

// maxTally bounds the distinct object × action × result cells tallied from a file: a report
// has at most 3 × 12 × 4 of them; a file naming millions of made-up actions is refused.
const maxTally = 4096

// summarizeFile streams path, tallying its summary and passing each entry on (when set).
func summarizeFile(path string, lim Limits, onOp func(*Operation) error, onSkip func(*Skip) error) (Summary, *Report, Info, error) {
	tally := Tally{Max: maxTally}
	var s Summary
	rep, info, err := DecodeFile(path, lim, Visitor{
		Operation: func(op *Operation) error {
			s.Operations++
			if op.Result == ResultFailed {
				s.Failed++
			}
			if !tally.AddOp(op) {
				return &limitError{code: apperr.ReportInvalid, msg: fmt.Sprintf("the report names more than %d kinds of operation", maxTally)}
			}
			if onOp != nil {
				return onOp(op)
			}
			return nil
		},
		Skip: func(sk *Skip) error {
			s.Skips++
			if onSkip != nil {
				return onSkip(sk)
			}
			return nil
		},
	})
	if err != nil {
		return Summary{}, nil, info, classify(err)
	}
	ops, skips, failed := s.Operations, s.Skips, s.Failed
	s = Summarize(rep)
	s.Operations, s.Skips, s.Failed = ops, skips, failed
	if rep.Counts == nil {
		s.Counts = tally.Counts()
	}
	s.Source = &info
	return s, rep, info, nil
}

// codeSet is the set of codes a filter list admits (all when it is empty). Values outside the
// table match no entry, as every entry's codes are known when the set is used.
func codeSet[T comparable](table []T, want []T) (set [256]bool) {
	for i := range set {
		set[i] = len(want) == 0
	}
	for _, w := range want {
		if c := codeOf(table, w); c != codeUnknown {
			set[c] = true
		}
	}
	return set
}

// spooledOps pages a file view's operations: by their codes when no text is searched, by the
// search index when it answers the terms (only the rows of the page are read from disk either
// way), else by reading every operation once, in order. stop is checked every 64 k entries.
func (v *View) spooledOps(q Query, stop func() bool) (OperationPage, error) {
	sp, ts := v.ops, terms(q.Text)
	off, limit := q.bounds()
	pg := OperationPage{Offset: off, Rows: []Operation{}, Index: []int{}}
	c := sp.cursor()
	take := func(i int, op *Operation) {
		if pg.Total >= off && len(pg.Rows) < limit {
			if op == nil {
				o, ok := c.operation(i)
				if !ok {
					return
				}
				op = &o
			}
			pg.Rows = append(pg.Rows, *op)
			pg.Index = append(pg.Index, i)
		}
		pg.Total++
	}
	acts, res, typ := codeSet(actionCodes, q.Actions), codeSet(resultCodes, q.Results), codeSet(typeCodes, q.ObjectTypes)
	coded := func(i int) bool { m := sp.meta[3*i : 3*i+3]; return acts[m[0]] && res[m[1]] && typ[m[2]] }
	filtered := len(q.Actions)+len(q.Results)+len(q.ObjectTypes) > 0
	done := true
	switch {
	case len(ts) == 0 && sp.unknown == 0:
		for i := 0; i < sp.n && done; i++ {
			if i&0xffff == 0 && stop() {
				done = false
			} else if coded(i) {
				take(i, nil)
			}
		}
	case v.opsIdx.usable(ts):
		done = v.opsIdx.each(ts, stop, func(i int) {
			switch {
			case !filtered || sp.unknown == 0 && coded(i):
				take(i, nil)
			case sp.unknown > 0:
				if op, ok := c.operation(i); ok && q.keepsOp(&op) {
					take(i, &op)
				}
			}
		})
	default:
		for i := 0; i < sp.n; i++ {
			if i&0xffff == 0 && stop() {
				done = false
				break
			}
			op, ok := c.operation(i)
			if !ok {
				break
			}
			if q.keepsOp(&op) && (len(ts) == 0 || matchTerms(opHay(&op), ts)) {
				take(i, &op)
			}
		}
	}
	if !done {
		return OperationPage{}, errSuperseded()
	}
	return pg, nil
}

// spooledSkips pages a file view's skips like spooledOps.
func (v *View) spooledSkips(q Query, stop func() bool) (SkipPage, error) {
	sp, ts := v.skips, terms(q.Text)
	off, limit := q.bounds()
	pg := SkipPage{Offset: off, Rows: []Skip{}, Index: []int{}}
	c := sp.cursor()
	take := func(i int, s *Skip) {
		if pg.Total >= off && len(pg.Rows) < limit {
			if s == nil {
				d, ok := c.skip(i)
				if !ok {
					return
				}
				s = &d
			}
			pg.Rows, pg.Index = append(pg.Rows, *s), append(pg.Index, i)
		}
		pg.Total++
	}
	typ := codeSet(typeCodes, q.ObjectTypes)
	filtered := len(q.ObjectTypes) > 0
	done := true
	switch {
	case len(ts) == 0 && sp.unknown == 0:
		for i := 0; i < sp.n && done; i++ {
			if i&0xffff == 0 && stop() {
				done = false
			} else if typ[sp.meta[i]] {
				take(i, nil)
			}
		}
	case v.skipsIdx.usable(ts):
		done = v.skipsIdx.each(ts, stop, func(i int) {
			switch {
			case !filtered || sp.unknown == 0 && typ[sp.meta[i]]:
				take(i, nil)
			case sp.unknown > 0:
				if s, ok := c.skip(i); ok && q.keepsSkip(&s) {
					take(i, &s)
				}
			}
		})
	default:
		for i := 0; i < sp.n; i++ {
			if i&0xffff == 0 && stop() {
				done = false
				break
			}
			s, ok := c.skip(i)
			if !ok {
				break
			}
			if q.keepsSkip(&s) && (len(ts) == 0 || matchTerms(skipHay(&s), ts)) {
				take(i, &s)
			}
		}
	}
	if !done {
		return SkipPage{}, errSuperseded()
	}
	return pg, nil
}

// DiffPage is one page of a comparison's objects.
type DiffPage struct {
	Total   int          `json:"total"`
	Offset  int          `json:"offset"`
	Objects []ObjectDiff `json:"objects"`
}

// Page filters a comparison's objects by q.Text (name, email, ids) and q.ObjectTypes, and pages
// them, for screens comparing two large runs.
func (d *ReportDiff) Page(q Query) DiffPage {
	var hay []string
	total, rows, _ := page(d.Objects, &hay, func(o *ObjectDiff) string {
		return strings.ToLower(o.Type + "\x01" + o.Name + "\x01" + o.Email + "\x01" + o.EntraID + "\x01" + o.AtlassianID)
	}, q, func(o *ObjectDiff) bool { return in(q.ObjectTypes, o.Type) })
	off, _ := q.bounds()
	return DiffPage{Total: total, Offset: off, Objects: rows}
}
