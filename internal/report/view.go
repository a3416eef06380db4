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

// Operations returns the page of operations matching q.
func (v *View) Operations(q Query) OperationPage {
	ts := terms(q.Text)
	if len(ts) > 0 && v.opsHay == nil {
		v.opsHay = make([]string, len(v.Report.Operations))
		for i := range v.Report.Operations {
			v.opsHay[i] = opHay(&v.Report.Operations[i])
		}
	}
	off, limit := q.bounds()
	p := OperationPage{Offset: off, Rows: []Operation{}, Index: []int{}}
	for i := range v.Report.Operations {
		op := &v.Report.Operations[i]
		if !in(q.Actions, op.Action) || !in(q.Results, op.Result) || !in(q.ObjectTypes, op.Object.Type) {
			continue
		}
		if len(ts) > 0 && !matchTerms(v.opsHay[i], ts) {
			continue
		}
		if p.Total >= off && len(p.Rows) < limit {
			p.Rows = append(p.Rows, *op)
			p.Index = append(p.Index, i)
		}
		p.Total++
	}
	return p
}

// Skips returns the page of skips matching q (Actions and Results do not apply).
func (v *View) Skips(q Query) SkipPage {
	ts := terms(q.Text)
	if len(ts) > 0 && v.skipHay == nil {
		v.skipHay = make([]string, len(v.Report.Skips))
		for i := range v.Report.Skips {
			v.skipHay[i] = skipHay(&v.Report.Skips[i])
		}
	}
	off, limit := q.bounds()
	p := SkipPage{Offset: off, Rows: []Skip{}, Index: []int{}}
	for i := range v.Report.Skips {
		s := &v.Report.Skips[i]
		if !in(q.ObjectTypes, s.Object.Type) {
			continue
		}
		if len(ts) > 0 && !matchTerms(v.skipHay[i], ts) {
			continue
		}
		if p.Total >= off && len(p.Rows) < limit {
			p.Rows = append(p.Rows, *s)
			p.Index = append(p.Index, i)
		}
		p.Total++
	}
	return p
}

// Operation returns the operation at index i (from a page's Index), or false.
func (v *View) Operation(i int) (Operation, bool) {
	if i < 0 || i >= len(v.Report.Operations) {
		return Operation{}, false
	}
	return v.Report.Operations[i], true
}
