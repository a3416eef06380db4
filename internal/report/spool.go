package report

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"runtime"
	"slices"

	"github.com/idpsync/idpsync/internal/apperr"
)

// A spool keeps one list of a report opened from a file (its operations or its skips) on disk,
// in a private temporary file, so that showing and paging a report of millions of entries holds
// a few bytes per entry instead of the entries: a filter byte or three per entry, and the file
// offset of every markEvery-th entry. Entries are length-prefixed records of uvarint-prefixed
// strings, read back by seeking to the nearest mark and skipping whole records.
type spool struct {
	f     *os.File
	w     *bufio.Writer
	off   int64   // bytes written
	marks []int64 // offset of entry i*markEvery
	meta  []byte  // per entry: metaWidth filter codes (codeUnknown: decode to filter)
	width int
	n     int
	// unknown counts entries with a code that is not in the tables: a filter over them
	// decodes every entry instead of reading the codes.
	unknown int
	rec     []byte
}

const markEvery = 256

// codeUnknown marks a value outside the code tables (a file not written by this version).
const codeUnknown = 0xff

var (
	actionCodes = []Action{CreateUser, UpdateUser, ReactivateUser, DeactivateUser, CreateGroup, AddMember, RemoveMember,
		RetireGroup, DeleteGroup, AdoptUser, AdoptGroup, ConflictGroup, SuspendUser, RestoreUser}
	resultCodes = []Result{ResultPlanned, ResultSucceeded, ResultFailed, ResultSkipped}
	typeCodes   = []string{"user", "group", ""}
)

func codeOf[T comparable](table []T, v T) byte {
	if i := slices.Index(table, v); i >= 0 {
		return byte(i)
	}
	return codeUnknown
}

func newSpool(width int) (*spool, error) {
	f, err := os.CreateTemp("", "idpsync-report-*.spool")
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "cannot create a temporary file to page the report from")
	}
	if runtime.GOOS != "windows" {
		// Unlinked at once: the data lives while the file is open and never outlives the
		// process, even a killed one. Windows cannot remove an open file: Close removes it.
		_ = os.Remove(f.Name())
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 256<<10), width: width}, nil
}

func (s *spool) close() {
	if s == nil || s.f == nil {
		return
	}
	s.f.Close()
	if runtime.GOOS == "windows" {
		_ = os.Remove(s.f.Name())
	}
	s.f = nil
}

func (s *spool) str(v string) {
	s.rec = binary.AppendUvarint(s.rec, uint64(len(v)))
	s.rec = append(s.rec, v...)
}

func (s *spool) ref(o *ObjectRef) {
	for _, v := range [...]string{o.Type, o.Name, o.Email, o.EntraID, o.AtlassianID} {
		s.str(v)
	}
}

// put appends one record (built in s.rec by the caller) and its filter codes.
func (s *spool) put(codes ...byte) error {
	if s.n%markEvery == 0 {
		s.marks = append(s.marks, s.off)
	}
	var hdr [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(hdr[:], uint64(len(s.rec)))
	if _, err := s.w.Write(hdr[:h]); err != nil {
		return s.writeErr(err)
	}
	if _, err := s.w.Write(s.rec); err != nil {
		return s.writeErr(err)
	}
	s.off += int64(h + len(s.rec))
	for _, c := range codes {
		if c == codeUnknown {
			s.unknown++
			break
		}
	}
	s.meta = append(s.meta, codes...)
	s.n++
	s.rec = s.rec[:0]
	return nil
}

func (s *spool) writeErr(err error) error {
	return apperr.Wrap(err, apperr.Internal, "cannot write the temporary file the report is paged from (is the disk full?)")
}

func (s *spool) putOperation(op *Operation) error {
	s.rec = binary.AppendVarint(s.rec[:0], int64(op.Seq))
	s.str(string(op.Action))
	s.ref(&op.Object)
	if op.Group != nil {
		s.rec = append(s.rec, 1)
		s.ref(op.Group)
	} else {
		s.rec = append(s.rec, 0)
	}
	s.rec = binary.AppendUvarint(s.rec, uint64(len(op.Chain)))
	for _, c := range op.Chain {
		s.str(c)
	}
	if op.Changes == nil {
		s.rec = append(s.rec, 0)
	} else {
		s.rec = binary.AppendUvarint(s.rec, uint64(len(op.Changes))+1)
		for _, c := range op.Changes {
			s.str(c.Attribute)
			s.str(c.Old)
			s.str(c.New)
		}
	}
	for _, v := range [...]string{op.Reason, string(op.Result), op.Code, op.Message} {
		s.str(v)
	}
	return s.put(codeOf(actionCodes, op.Action), codeOf(resultCodes, op.Result), codeOf(typeCodes, op.Object.Type))
}

func (s *spool) putSkip(sk *Skip) error {
	s.rec = s.rec[:0]
	s.ref(&sk.Object)
	s.str(sk.Reason)
	s.str(sk.Detail)
	return s.put(codeOf(typeCodes, sk.Object.Type))
}

// finish flushes what was written; the spool is read-only from then on.
func (s *spool) finish() error {
	if err := s.w.Flush(); err != nil {
		return s.writeErr(err)
	}
	s.w = nil
	return nil
}

// cursor reads a spool's records in order from any entry.
type cursor struct {
	s   *spool
	r   *bufio.Reader
	i   int // the entry the reader is at
	buf []byte
	err error
}

func (s *spool) cursor() *cursor { return &cursor{s: s, i: -1} }

var errSpoolDamaged = errors.New("the report's temporary file is damaged")

// seek positions the cursor at entry i, from the nearest mark when i is behind or far ahead.
func (c *cursor) seek(i int) {
	if c.r == nil || i < c.i || i-c.i >= markEvery {
		m := i / markEvery
		c.r = bufio.NewReaderSize(io.NewSectionReader(c.s.f, c.s.marks[m], math.MaxInt64-c.s.marks[m]), 64<<10)
		c.i = m * markEvery
	}
	for c.i < i && c.err == nil {
		n, err := binary.ReadUvarint(c.r)
		if err == nil {
			_, err = c.r.Discard(int(n))
		}
		c.fail(err)
		c.i++
	}
}

func (c *cursor) fail(err error) {
	if err != nil && c.err == nil {
		c.err = apperr.Wrap(errors.Join(errSpoolDamaged, err), apperr.Internal, "cannot read the report's temporary file")
	}
}

// record reads the record at the cursor and moves past it.
func (c *cursor) record() []byte {
	n, err := binary.ReadUvarint(c.r)
	if err == nil && n > uint64(math.MaxInt32) {
		err = errSpoolDamaged
	}
	if err != nil {
		c.fail(err)
		return nil
	}
	c.buf = slices.Grow(c.buf[:0], int(n))[:n]
	_, err = io.ReadFull(c.r, c.buf)
	c.fail(err)
	c.i++
	return c.buf
}

// dec reads the fields of one record.
type dec struct {
	b   []byte
	bad bool
}

func (d *dec) uv() uint64 {
	v, w := binary.Uvarint(d.b)
	if w <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[w:]
	return v
}

func (d *dec) str() string {
	n := d.uv()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

func (d *dec) ref(o *ObjectRef) {
	o.Type, o.Name, o.Email, o.EntraID, o.AtlassianID = d.str(), d.str(), d.str(), d.str(), d.str()
}

func (c *cursor) operation(i int) (Operation, bool) {
	c.seek(i)
	d := dec{b: c.record()}
	var op Operation
	seq, w := binary.Varint(d.b)
	if w <= 0 {
		c.fail(errSpoolDamaged)
		return op, false
	}
	d.b = d.b[w:]
	op.Seq = int(seq)
	op.Action = Action(d.str())
	d.ref(&op.Object)
	if len(d.b) > 0 && d.b[0] == 1 {
		d.b = d.b[1:]
		op.Group = &ObjectRef{}
		d.ref(op.Group)
	} else if len(d.b) > 0 {
		d.b = d.b[1:]
	}
	if n := d.uv(); n > 0 && n <= uint64(len(d.b)) {
		op.Chain = make([]string, n)
		for k := range op.Chain {
			op.Chain[k] = d.str()
		}
	}
	if n := d.uv(); n > 0 && n-1 <= uint64(len(d.b)) {
		op.Changes = make([]Change, n-1)
		for k := range op.Changes {
			op.Changes[k] = Change{Attribute: d.str(), Old: d.str(), New: d.str()}
		}
	}
	op.Reason, op.Result, op.Code, op.Message = d.str(), Result(d.str()), d.str(), d.str()
	if d.bad {
		c.fail(errSpoolDamaged)
	}
	return op, c.err == nil
}

func (c *cursor) skip(i int) (Skip, bool) {
	c.seek(i)
	d := dec{b: c.record()}
	var s Skip
	d.ref(&s.Object)
	s.Reason, s.Detail = d.str(), d.str()
	if d.bad {
		c.fail(errSpoolDamaged)
	}
	return s, c.err == nil
}
