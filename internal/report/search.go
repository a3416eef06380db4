package report

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/idpsync/idpsync/internal/apperr"
)

// A searchIndex answers a text query over a spooled list without decoding it. Today's rule
// (matchTerms over opHay/skipHay) is: every term is a substring of the entry's lowercased fields
// joined by \x01. A term holds neither \x00 nor \x01 (usable), so it matches the joined text
// exactly when it is inside one field, and the fields can be grouped into parts at will. An
// operation is four parts: its Seq, its object (the five ObjectRef fields), its group (likewise)
// and the rest (action, chain, result, code, message, reason, changes); a skip is its object and
// its rest. Parts repeat: at L, 2.87 M membership operations name ~110 k users and groups, and
// a group's members share their rest, so the index keeps each distinct part once, lowercased,
// in one byte slice, and per entry its three part ids as a flags byte and the uvarints of the ids
// that differ from the previous entry's (a membership row: 1 + 3 bytes; 2 M rows of a repeated
// operation: 1 byte each, where 3 uint32s would add 24 MB to a view that must stay bounded). A
// query finds the parts holding each term (a scan of the distinct text), then the entries whose
// parts hold every term: one pass over the ids, no decoding; only the page's rows are read from
// the spool.
type searchIndex struct {
	text []byte // the distinct parts, lowercased, each followed by 0
	ends []int  // ends[k]: the offset just past part k's 0

	cols []byte    // per entry: flags (1, 2, 4: object, group, rest changed), their uvarints
	prev [3]uint32 // the last entry's object id, group id + 1 (0: none) and rest id
	seq  []int     // per entry, once some Seq is not its ordinal + 1 (nil while all are)
	n    int
	ops  bool // a list of operations: entries have a Seq

	ids  map[string]uint32 // raw part → id, while the list is spooled; nil after done
	last [3]struct {       // per column, the last raw part and its id: consecutive rows repeat them
		raw []byte
		id  uint32
	}
	buf    []byte
	broken bool // more parts than ids: queries fall back to decoding
}

const noPart = math.MaxUint32 - 1

func newSearchIndex() *searchIndex { return &searchIndex{ids: map[string]uint32{}} }

// part returns the id of the raw part in x.buf, as column col's.
func (x *searchIndex) part(col int) uint32 {
	l := &x.last[col]
	if l.raw != nil && bytes.Equal(l.raw, x.buf) {
		return l.id
	}
	id, ok := x.ids[string(x.buf)]
	if !ok {
		if len(x.ends) >= noPart-1 {
			x.broken = true
			return 0
		}
		id = uint32(len(x.ends))
		x.ids[string(x.buf)] = id
		x.text = append(x.text, strings.ToLower(string(x.buf))...)
		x.text = append(x.text, 0)
		x.ends = append(x.ends, len(x.text))
	}
	l.raw, l.id = append(l.raw[:0], x.buf...), id
	return id
}

func appendFields(b []byte, fs ...string) []byte {
	for _, s := range fs {
		b = append(append(b, s...), 1)
	}
	return b
}

// appendRef is an object's (or a group's) part: the fields of it a search matches.
func appendRef(b []byte, o *ObjectRef) []byte {
	return appendFields(b, o.Type, o.Name, o.Email, o.EntraID, o.AtlassianID)
}

// appendOpRest is an operation's rest: what it does, how it ended and what it changes.
func appendOpRest(b []byte, op *Operation) []byte {
	b = appendFields(b, string(op.Action), strings.Join(op.Chain, " > "), string(op.Result), op.Code, op.Message, op.Reason)
	for _, c := range op.Changes {
		b = appendFields(b, c.Attribute, c.Old, c.New)
	}
	return b
}

// appendSkipRest is a skip's rest: why it was left out.
func appendSkipRest(b []byte, s *Skip) []byte { return appendFields(b, s.Reason, s.Detail) }

// add appends an entry's ids (g: the group's id + 1, 0 for none).
func (x *searchIndex) add(o, g, r uint32) {
	at := len(x.cols)
	x.cols = append(x.cols, 0)
	for c, id := range [3]uint32{o, g, r} {
		if id != x.prev[c] {
			x.cols[at] |= 1 << c
			x.cols = binary.AppendUvarint(x.cols, uint64(id))
		}
	}
	x.prev = [3]uint32{o, g, r}
}

// addOp indexes the next operation: the same fields as opHay.
func (x *searchIndex) addOp(op *Operation) {
	x.buf = appendRef(x.buf[:0], &op.Object)
	o := x.part(0)
	g := uint32(0)
	if op.Group != nil {
		x.buf = appendRef(x.buf[:0], op.Group)
		g = x.part(1) + 1
	}
	x.buf = appendOpRest(x.buf[:0], op)
	x.add(o, g, x.part(2))
	if x.seq == nil && op.Seq != x.n+1 {
		x.seq = make([]int, x.n, x.n+1024)
		for i := range x.seq {
			x.seq[i] = i + 1
		}
	}
	if x.seq != nil {
		x.seq = append(x.seq, op.Seq)
	}
	x.n++
	x.ops = true
}

// addSkip indexes the next skip: the same fields as skipHay.
func (x *searchIndex) addSkip(s *Skip) {
	x.buf = appendRef(x.buf[:0], &s.Object)
	o := x.part(0)
	x.buf = appendSkipRest(x.buf[:0], s)
	x.add(o, 0, x.part(2))
	x.n++
}

// done drops what only building needed and trims the slices to their length.
func (x *searchIndex) done() {
	x.ids, x.last, x.buf = nil, [3]struct {
		raw []byte
		id  uint32
	}{}, nil
	x.text, x.ends, x.cols, x.seq = slices.Clip(x.text), slices.Clip(x.ends), slices.Clip(x.cols), slices.Clip(x.seq)
}

// Bytes is the memory the index holds once built.
func (x *searchIndex) Bytes() int {
	if x == nil {
		return 0
	}
	return cap(x.text) + 8*cap(x.ends) + cap(x.cols) + 8*cap(x.seq)
}

// usable reports whether the index answers the terms: none holds a separator, and each fits a
// bit of a mask. Other queries decode every entry, as before the index.
func (x *searchIndex) usable(ts []string) bool {
	if x == nil || x.broken || len(ts) > 64 {
		return false
	}
	for _, t := range ts {
		if strings.ContainsAny(t, "\x00\x01") {
			return false
		}
	}
	return true
}

// numeric reports whether t can be inside a Seq (digits and a minus sign).
func numeric(t string) bool {
	return strings.Trim(t, "0123456789-") == ""
}

// each calls fn with the ordinal of every entry holding all the terms, in order, and reports
// false when stop said so first (checked every 64 k entries, ~0.1 ms at L).
func (x *searchIndex) each(ts []string, stop func() bool, fn func(i int)) bool {
	masks := make([]uint64, len(x.ends))
	var any, nums uint64
	for j, t := range ts {
		bt := []byte(t)
		for pos := 0; pos < len(x.text); {
			at := bytes.Index(x.text[pos:], bt)
			if at < 0 {
				break
			}
			k, _ := slices.BinarySearch(x.ends, pos+at+1) // the part holding the hit: ends[k] > hit
			masks[k] |= 1 << j
			any |= 1 << j
			pos = x.ends[k]
		}
		if x.ops && numeric(t) {
			nums |= 1 << j
		}
	}
	all := uint64(1)<<len(ts) - 1
	if len(ts) == 64 {
		all = math.MaxUint64
	}
	if (any | nums) != all {
		return true // some term is in no part and no Seq: nothing matches
	}
	if len(ts) <= 8 {
		// A byte per part: at L the masks of ~110 k parts are 110 KB, which stay in cache as
		// the scan reads them in the rows' random user order, where 880 KB of uint64s do not.
		small := make([]uint8, len(masks))
		for k, m := range masks {
			small[k] = uint8(m)
		}
		return scan(x, small, uint8(all), uint8(nums), ts, stop, fn)
	}
	return scan(x, masks, all, nums, ts, stop, fn)
}

// scan is each's pass over the rows, with masks of one byte (up to 8 terms) or eight.
func scan[M uint8 | uint64](x *searchIndex, masks []M, all, nums M, ts []string, stop func() bool, fn func(i int)) bool {
	num := []byte("0")
	var mo, mg, mr M // the masks of the entry's object, group and rest, kept while they repeat
	if len(masks) > 0 {
		mo, mr = masks[0], masks[0] // the ids before the first entry are 0 (add)
	}
	at := 0
	for i := 0; i < x.n; i++ {
		if i&0xffff == 0 && stop() {
			return false
		}
		f := x.cols[at]
		at++
		if f&1 != 0 {
			var id uint32
			id, at = x.uvarint(at)
			mo = masks[id]
		}
		if f&2 != 0 {
			var id uint32
			if id, at = x.uvarint(at); id == 0 {
				mg = 0
			} else {
				mg = masks[id-1]
			}
		}
		if f&4 != 0 {
			var id uint32
			id, at = x.uvarint(at)
			mr = masks[id]
		}
		m := mo | mg | mr
		if nums != 0 && x.seq == nil {
			num = incDecimal(num) // i + 1, in decimal, without formatting it anew
		}
		if m != all && nums&^m != 0 {
			if x.seq != nil {
				num = strconv.AppendInt(num[:0], int64(x.seq[i]), 10)
			}
			for j, t := range ts {
				if nums&(M(1)<<j) != 0 && bytes.Contains(num, []byte(t)) {
					m |= M(1) << j
				}
			}
		}
		if m == all {
			fn(i)
		}
	}
	return true
}

// incDecimal adds one to the decimal number d: amortized one byte per call.
func incDecimal(d []byte) []byte {
	for k := len(d) - 1; k >= 0; k-- {
		if d[k] < '9' {
			d[k]++
			return d
		}
		d[k] = '0'
	}
	return append([]byte{'1'}, d...)
}

// uvarint reads the id at x.cols[at]: one byte for the first 128 ids, else binary.Uvarint.
func (x *searchIndex) uvarint(at int) (uint32, int) {
	if b := x.cols[at]; b < 0x80 {
		return uint32(b), at + 1
	}
	v, w := binary.Uvarint(x.cols[at:])
	return uint32(v), at + w
}

// newest tells a table's query apart from the newer ones of the same table: a query whose text
// or filters differ from the running one supersedes it, so that as the admin types only the
// newest keystroke's answer is computed; pages of the same query do not supersede each other.
type newest struct {
	mu  sync.Mutex
	key string
	gen atomic.Uint64
}

func (n *newest) begin(q Query) uint64 {
	key := strings.Join([]string{q.Text, strings.Join(asStrings(q.Actions), ","), strings.Join(asStrings(q.Results), ","), strings.Join(q.ObjectTypes, ",")}, "\x00")
	n.mu.Lock()
	defer n.mu.Unlock()
	if key != n.key {
		n.key = key
		n.gen.Add(1)
	}
	return n.gen.Load()
}

// stale returns the stop function of generation g: true once a newer query began.
func (n *newest) stale(g uint64) func() bool {
	return func() bool { return n.gen.Load() != g }
}

func asStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func never() bool { return false }

// errSuperseded is the answer to a query a newer one of the same table replaced.
func errSuperseded() error {
	return apperr.New(apperr.Canceled, "a newer search replaced this one")
}
