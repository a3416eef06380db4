package report

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
)

// SchemaName is the value of the "schema" field of every report.
const SchemaName = "idpsync.report"

// WriteOptions tunes the canonical JSON writer.
type WriteOptions struct {
	// Gzip compresses the output. BestSpeed is used: a 1,000,000-operation report must write in
	// seconds, and the extra ratio of higher levels is small on this data (see the benchmarks).
	Gzip bool
	// Pseudonymize replaces names and emails before they are written (see Pseudonymizer).
	Pseudonymize *Pseudonymizer
}

// header is the part of Report known when a run starts. Field order is the document order.
type header struct {
	Schema        string       `json:"schema"`
	Version       int          `json:"version"`
	AppVersion    string       `json:"appVersion"`
	RunID         string       `json:"runId"`
	Kind          Kind         `json:"kind"`
	Directory     DirectoryRef `json:"directory"`
	Tenant        TenantRef    `json:"tenant"`
	Confirmed     Confirmation `json:"confirmation"`
	Settings      Settings     `json:"settings"`
	Started       time.Time    `json:"started"`
	Pseudonymized bool         `json:"pseudonymized,omitempty"`
}

// trailer is the part of Report known only when the run ends.
type trailer struct {
	Status Status     `json:"status"`
	Ended  time.Time  `json:"ended"`
	Phases []Phase    `json:"phases"`
	Counts []Count    `json:"counts"`
	Errors []RunError `json:"errors,omitempty"`
}

type section int

const (
	secNone section = iota
	secOperations
	secSkips
)

// Writer streams one report as canonical JSON: the header when created, then operations and skips
// one at a time, then the trailer (status, end, phases, counts, errors) on Close. Nothing but the
// current element is held, so a 1,000,000-operation run costs the same memory as a small one.
//
// Operations and skips may come in either order, but each section only once: starting the other
// section closes the current one. The output is HTML-safe (<, >, &, U+2028 and U+2029 are escaped),
// which is what lets the HTML export embed it verbatim. A Writer is not safe for concurrent use:
// the engine serializes its calls (e.g. from the goroutine that records results).
type Writer struct {
	out    *bufio.Writer
	gz     *gzip.Writer
	buf    bytes.Buffer
	elem   []byte // the element being written, reused
	enc    *json.Encoder
	pseudo *Pseudonymizer
	cur    section
	done   [3]bool
	first  bool
	tally  Tally
	nOps   int
	nSkips int
	closed bool
	err    error
}

type countKey struct {
	object string
	action Action
	result Result
}

// NewWriter writes the header of h (its operations, skips and trailer fields are ignored here) and
// returns a Writer for the rest.
func NewWriter(w io.Writer, h *Report, opts WriteOptions) (*Writer, error) {
	wr := &Writer{pseudo: opts.Pseudonymize}
	dst := w
	if opts.Gzip {
		gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
		if err != nil {
			return nil, err
		}
		wr.gz = gz
		dst = gz
	}
	wr.out = bufio.NewWriterSize(dst, 256<<10)
	wr.enc = json.NewEncoder(&wr.buf) // HTML escaping stays on: see the type comment
	hd := h.header()
	if wr.pseudo != nil {
		wr.pseudo.header(&hd)
	}
	b, err := wr.marshal(hd)
	if err != nil {
		return nil, err
	}
	// Drop the closing brace: the sections and the trailer continue the same object.
	wr.write(b[:len(b)-1])
	return wr, wr.err
}

func (r *Report) header() header {
	h := header{
		Schema:        SchemaName,
		Version:       SchemaVersion,
		AppVersion:    r.AppVersion,
		RunID:         r.RunID,
		Kind:          r.Kind,
		Directory:     r.Directory,
		Tenant:        r.Tenant,
		Confirmed:     r.Confirmed,
		Settings:      r.Settings,
		Started:       r.Started,
		Pseudonymized: r.Pseudonymized,
	}
	return h
}

func (w *Writer) marshal(v any) ([]byte, error) {
	w.buf.Reset()
	if err := w.enc.Encode(v); err != nil {
		return nil, err
	}
	b := w.buf.Bytes()
	return b[:len(b)-1], nil // Encode appends a newline
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.out.Write(b)
}

func (w *Writer) open(s section) error {
	if w.closed {
		return errors.New("report writer: already closed")
	}
	if w.cur == s {
		return w.err
	}
	if w.done[s] {
		return fmt.Errorf("report writer: %s already written; write operations and skips as two runs, not interleaved", s.key())
	}
	w.closeSection()
	w.cur = s
	w.first = true
	w.write([]byte(",\n\"" + s.key() + "\":["))
	return w.err
}

func (w *Writer) closeSection() {
	if w.cur == secNone {
		return
	}
	if w.first {
		w.write([]byte("]"))
	} else {
		w.write([]byte("\n]"))
	}
	w.done[w.cur] = true
	w.cur = secNone
}

func (s section) key() string {
	if s == secSkips {
		return "skips"
	}
	return "operations"
}

func (w *Writer) element(v any) error {
	var b []byte
	switch x := v.(type) {
	case *Operation:
		w.elem = appendOperation(w.elem[:0], x)
		b = w.elem
	case *Skip:
		w.elem = appendSkip(w.elem[:0], x)
		b = w.elem
	default:
		var err error
		if b, err = w.marshal(v); err != nil {
			return err
		}
	}
	if w.first {
		w.write([]byte("\n"))
		w.first = false
	} else {
		w.write([]byte(",\n"))
	}
	w.write(b)
	return w.err
}

// WriteOperation appends one operation. The writer tallies counts from them for the trailer.
func (w *Writer) WriteOperation(op *Operation) error {
	if err := w.open(secOperations); err != nil {
		return err
	}
	w.nOps++
	w.tally.AddOp(op)
	if w.pseudo != nil {
		c := *op
		w.pseudo.operation(&c)
		return w.element(&c)
	}
	return w.element(op)
}

// WriteSkip appends one object left out of scope.
func (w *Writer) WriteSkip(s *Skip) error {
	if err := w.open(secSkips); err != nil {
		return err
	}
	w.nSkips++
	if w.pseudo != nil {
		c := *s
		w.pseudo.skip(&c)
		return w.element(&c)
	}
	return w.element(s)
}

// Counts returns the counts tallied from the operations written so far, in a stable order.
func (w *Writer) Counts() []Count { return w.tally.Counts() }

// Close writes the trailer from t (Status, Ended, Phases, Errors; Counts when set, else the
// tallied counts), closes the gzip stream if any, and flushes. It does not close the underlying writer.
func (w *Writer) Close(t *Report) error {
	if w.closed {
		return errors.New("report writer: already closed")
	}
	if t == nil {
		t = &Report{}
	}
	w.closeSection()
	for _, s := range []section{secOperations, secSkips} {
		if !w.done[s] {
			w.write([]byte(",\n\"" + s.key() + "\":[]"))
		}
	}
	tr := trailer{Status: t.Status, Ended: t.Ended, Phases: t.Phases, Counts: t.Counts, Errors: t.Errors}
	if tr.Counts == nil {
		tr.Counts = w.Counts()
	}
	if tr.Phases == nil {
		tr.Phases = []Phase{}
	}
	if w.pseudo != nil {
		tr.Errors = w.pseudo.runErrors(tr.Errors)
	}
	b, err := w.marshal(tr)
	if err != nil {
		return err
	}
	w.write([]byte(",\n"))
	w.write(b[1:])
	w.write([]byte("\n"))
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if err := w.out.Flush(); err != nil {
		return err
	}
	if w.gz != nil {
		return w.gz.Close()
	}
	return nil
}

// Write writes a whole report in memory as canonical JSON.
func Write(w io.Writer, r *Report, opts WriteOptions) error {
	rw, err := NewWriter(w, r, opts)
	if err != nil {
		return err
	}
	return r.streamInto(rw)
}

// streamInto writes r's operations and skips into s and closes it: Write and WriteHTML, for a
// report held in memory. (ExportReport streams the same way but codes a failed Close apart.)
func (r *Report) streamInto(s sink) error {
	if err := r.streamTo(s.WriteOperation, s.WriteSkip); err != nil {
		return err
	}
	return s.Close(r)
}

func (r *Report) streamTo(op func(*Operation) error, sk func(*Skip) error) error {
	for i := range r.Operations {
		if err := op(&r.Operations[i]); err != nil {
			return err
		}
	}
	for i := range r.Skips {
		if err := sk(&r.Skips[i]); err != nil {
			return err
		}
	}
	return nil
}

// CountObject is the object column of the summary for this operation: memberships apart from
// the users they concern (Action.IsMembership); otherwise the object's own type ("user" when it
// has none), so that a file naming an action this version does not know still counts its
// operations under the type it gives them.
func (op *Operation) CountObject() string {
	switch {
	case op.Action.IsMembership():
		return "membership"
	case op.Object.Type == "":
		return "user"
	}
	return op.Object.Type
}

// Tally counts operations by object, action and result: the one tally behind a plan's counts
// (engine.Counts), a report's trailer (Writer) and the summary of a report read from a file.
// The zero Tally is empty and unbounded.
type Tally struct {
	// Max bounds the distinct cells (0: unbounded): Add refuses an operation that would open
	// one more, so that a file naming millions of made-up actions cannot grow it without end.
	Max   int
	cells map[countKey]int
	order []countKey // the cells in the order they were first counted
}

// Add counts one operation of action a that ended r under object; false, counting nothing,
// when that needs a new cell and the tally already holds Max.
func (t *Tally) Add(object string, a Action, r Result) bool {
	k := countKey{object, a, r}
	if t.cells == nil {
		t.cells = map[countKey]int{}
	}
	if _, ok := t.cells[k]; !ok && t.Max > 0 && len(t.cells) >= t.Max {
		return false
	}
	if t.cells[k] == 0 {
		t.order = append(t.order, k)
	}
	t.cells[k]++
	return true
}

// AddOp counts op under its CountObject (see Add).
func (t *Tally) AddOp(op *Operation) bool { return t.Add(op.CountObject(), op.Action, op.Result) }

// Counts returns the tally in a stable order: users, groups, memberships, then by action and
// result.
func (t *Tally) Counts() []Count { return sortedCounts(t.cells) }

// InOrder returns the tally in the order its cells were first counted: a plan's counts follow
// its phases (groups are created before users are added to them), as its reports always listed them.
func (t *Tally) InOrder() []Count {
	out := make([]Count, len(t.order))
	for i, k := range t.order {
		out[i] = Count{Object: k.object, Action: k.action, Result: k.result, N: t.cells[k]}
	}
	return out
}

// TallyCounts computes the summary counts of ops.
func TallyCounts(ops []Operation) []Count {
	var t Tally
	for i := range ops {
		t.AddOp(&ops[i])
	}
	return t.Counts()
}

func sortedCounts(m map[countKey]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Object: k.object, Action: k.action, Result: k.result, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Object != b.Object {
			return objectRank(a.Object) < objectRank(b.Object)
		}
		if a.Action != b.Action {
			return a.Action < b.Action
		}
		return a.Result < b.Result
	})
	return out
}

func objectRank(o string) int {
	switch o {
	case "user":
		return 0
	case "group":
		return 1
	case "membership":
		return 2
	}
	return 3
}
