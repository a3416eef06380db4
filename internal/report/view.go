package report

import (
	"strconv"
	"strings"
	"time"
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

// View serves a loaded report to the screens: the summary and filtered pages of 100,000+ rows.
// Search text is lowercased once per row, on the first text query. Safe for one goroutine at a time.
type View struct {
	Report  *Report
	Info    *Info
	opsHay  []string
	skipHay []string
}

// NewView wraps a report (info may be nil for a run from history).
func NewView(r *Report, info *Info) *View { return &View{Report: r, Info: info} }

// OpenView loads a report file for the screens.
func OpenView(path string) (*View, error) {
	l, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	return NewView(l.Report, &l.Info), nil
}

// Summary returns the report's summary.
func (v *View) Summary() Summary {
	s := Summarize(v.Report)
	s.Source = v.Info
	return s
}

func refHay(b *strings.Builder, o *ObjectRef) {
	for _, s := range []string{o.Type, o.Name, o.Email, o.EntraID, o.AtlassianID} {
		b.WriteString(s)
		b.WriteByte(1)
	}
}

func opHay(op *Operation) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(op.Seq))
	b.WriteByte(1)
	refHay(&b, &op.Object)
	if op.Group != nil {
		refHay(&b, op.Group)
	}
	for _, s := range []string{string(op.Action), strings.Join(op.Chain, " > "), string(op.Result), op.Code, op.Message, op.Reason} {
		b.WriteString(s)
		b.WriteByte(1)
	}
	for _, c := range op.Changes {
		b.WriteString(c.Attribute + "\x01" + c.Old + "\x01" + c.New + "\x01")
	}
	return strings.ToLower(b.String())
}

func skipHay(s *Skip) string {
	var b strings.Builder
	refHay(&b, &s.Object)
	b.WriteString(s.Reason + "\x01" + s.Detail)
	return strings.ToLower(b.String())
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
	total, rows, index := page(v.Report.Operations, &v.opsHay, opHay, q, func(op *Operation) bool {
		return in(q.Actions, op.Action) && in(q.Results, op.Result) && in(q.ObjectTypes, op.Object.Type)
	})
	off, _ := q.bounds()
	return OperationPage{Total: total, Offset: off, Rows: rows, Index: index}
}

// Skips returns the page of skips matching q (Actions and Results do not apply).
func (v *View) Skips(q Query) SkipPage {
	total, rows, index := page(v.Report.Skips, &v.skipHay, skipHay, q, func(s *Skip) bool {
		return in(q.ObjectTypes, s.Object.Type)
	})
	off, _ := q.bounds()
	return SkipPage{Total: total, Offset: off, Rows: rows, Index: index}
}

// Operation returns the operation at index i (from a page's Index), or false.
func (v *View) Operation(i int) (Operation, bool) {
	if i < 0 || i >= len(v.Report.Operations) {
		return Operation{}, false
	}
	return v.Report.Operations[i], true
}

// SummarizeFile reads the summary of a report file without holding its operations (for a list of
// report files): the counts come from the file, or are tallied while streaming.
func SummarizeFile(path string) (Summary, error) {
	tally := map[countKey]int{}
	var s Summary
	rep, info, err := DecodeFile(path, DefaultLimits, Visitor{
		Operation: func(op *Operation) error {
			s.Operations++
			if op.Result == ResultFailed {
				s.Failed++
			}
			tally[countKey{op.CountObject(), op.Action, op.Result}]++
			return nil
		},
		Skip: func(*Skip) error { s.Skips++; return nil },
	})
	if err != nil {
		return Summary{}, err
	}
	ops, skips, failed := s.Operations, s.Skips, s.Failed
	s = Summarize(rep)
	s.Operations, s.Skips, s.Failed = ops, skips, failed
	if rep.Counts == nil {
		s.Counts = sortedCounts(tally)
	}
	s.Source = &info
	return s, nil
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
