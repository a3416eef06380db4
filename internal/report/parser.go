package report

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/idpsync/idpsync/internal/apperr"
)

// parser is a streaming JSON decoder for the report schema. encoding/json decodes a 1,000,000-
// operation report at about 30 MB/s with 15 allocations per operation and no way to bound nesting
// or string length; this one reads the known fields directly, enforces Limits as it goes, counts
// invalid UTF-8 (replaced with U+FFFD like encoding/json does), and interns the strings that repeat
// across operations (names, ids, groups, chains), so a loaded report holds each user and group once.
//
// Errors inside the parser are raised with panic(*parseError) and recovered at the top (run);
// nothing else is recovered.
type parser struct {
	r   io.Reader
	lim Limits

	buf      []byte
	pos, end int
	off      int64 // stream offset of buf[0]
	line     int
	eof      bool

	depth   int
	invalid int
	scratch []byte
	keyBuf  []byte

	strs   map[string]string
	groups map[string]*ObjectRef // by raw field values, see group
	chains map[string][]string
	gkey   []byte
	ckey   []byte
	slots  struct {
		object, skip                            refSlots
		action, attribute, reason, result, code slot
	}
}

// internMax bounds the intern tables so that a report of unique strings does not grow them forever.
const internMax = 2_000_000

type parseError struct {
	msg       string
	line      int
	off       int64
	truncated bool
	where     string // " in operation #12"
	limit     *limitError
	cause     error // a visitor's error, passed through as is
}

func (e *parseError) Error() string {
	if e.cause != nil {
		return e.cause.Error()
	}
	if e.limit != nil {
		return e.limit.msg
	}
	return e.msg
}

func (e *parseError) Unwrap() error {
	if e.cause != nil {
		return e.cause
	}
	if e.limit != nil {
		return e.limit
	}
	return nil
}

func (e *parseError) at() string { return fmt.Sprintf(" (line %d, byte %d)", e.line, e.off) }

func newParser(r io.Reader, lim Limits) *parser {
	// A Limits built by hand without the count limits gets the defaults, never "none allowed".
	if lim.MaxOperations <= 0 {
		lim.MaxOperations = DefaultLimits.MaxOperations
	}
	if lim.MaxSkips <= 0 {
		lim.MaxSkips = DefaultLimits.MaxSkips
	}
	if lim.MaxItems <= 0 {
		lim.MaxItems = DefaultLimits.MaxItems
	}
	return &parser{r: r, lim: lim, buf: make([]byte, 64<<10), line: 1,
		strs: map[string]string{}, groups: map[string]*ObjectRef{}, chains: map[string][]string{}}
}

func (p *parser) offset() int64 { return p.off + int64(p.pos) }

func (p *parser) fail(format string, args ...any) {
	panic(&parseError{msg: fmt.Sprintf(format, args...), line: p.line, off: p.offset()})
}

func (p *parser) failLimit(code apperr.Code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...) + fmt.Sprintf(" (line %d, byte %d)", p.line, p.offset())
	panic(&parseError{limit: &limitError{code: code, msg: msg}, line: p.line, off: p.offset()})
}

func (p *parser) truncated() {
	panic(&parseError{msg: "unexpected end of data", line: p.line, off: p.offset(), truncated: true})
}

// fill makes at least n unread bytes available if the stream has them; it reports how many are.
func (p *parser) fill(n int) int {
	for p.end-p.pos < n && !p.eof {
		if p.pos > 0 {
			copy(p.buf, p.buf[p.pos:p.end])
			p.off += int64(p.pos)
			p.end -= p.pos
			p.pos = 0
		}
		if p.end == len(p.buf) {
			p.buf = append(p.buf, make([]byte, len(p.buf))...)
		}
		m, err := p.r.Read(p.buf[p.end:])
		p.end += m
		if p.off+int64(p.end) > p.lim.MaxBytes {
			p.failLimit(apperr.ReportTooLarge, "the report is larger than %s uncompressed", humanBytes(p.lim.MaxBytes))
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				p.eof = true
				break
			}
			var le *limitError
			if errors.As(err, &le) {
				panic(&parseError{limit: le, line: p.line, off: p.offset()})
			}
			panic(&parseError{cause: err, line: p.line, off: p.offset()})
		}
	}
	return p.end - p.pos
}

// next returns the next byte that is not white space, without consuming it; 0 at the end.
func (p *parser) next() byte {
	for {
		for p.pos < p.end {
			switch c := p.buf[p.pos]; c {
			case ' ', '\t', '\r':
				p.pos++
			case '\n':
				p.line++
				p.pos++
			default:
				return c
			}
		}
		if p.fill(1) == 0 {
			return 0
		}
	}
}

func (p *parser) expect(c byte) {
	got := p.next()
	if got == 0 {
		p.truncated()
	}
	if got != c {
		p.fail("expected %q, found %q", c, got)
	}
	p.pos++
}

func (p *parser) push() {
	p.depth++
	if p.depth > p.lim.MaxDepth {
		p.failLimit(apperr.ReportInvalid, "the data nests deeper than %d levels", p.lim.MaxDepth)
	}
}

// iter walks an object's fields or a list's elements without a callback (the hot path allocates
// nothing):
//
//	for it := p.fields(); p.nextField(&it); { switch string(p.keyBuf) { ... } }
//	for it := p.elems(); p.nextElem(&it); { ... }
//
// "null" is an empty object or list, and sets null.
type iter struct {
	started, done, null bool
	close               byte
}

func (p *parser) open(open, close byte, what string) iter {
	switch p.next() {
	case 'n':
		p.literal("null")
		return iter{done: true, null: true}
	case open:
		p.pos++
		p.push()
		return iter{close: close}
	}
	p.wrongType(what)
	return iter{done: true}
}

// more reports whether another field or element follows, consuming the comma before it. A comma
// before the closing bracket is refused by what reads the next item.
func (p *parser) more(it *iter) bool {
	if it.done {
		return false
	}
	c := p.next()
	switch {
	case c == it.close:
		p.pos++
		p.depth--
		it.done = true
		return false
	case c == 0:
		p.truncated()
	case !it.started:
		it.started = true
		return true
	case c == ',':
		p.pos++
		return true
	}
	if it.close == '}' {
		p.fail("expected ',' or '}' after a field")
	}
	p.fail("expected ',' or ']' in a list")
	return false
}

func (p *parser) fields() iter { return p.open('{', '}', "an object") }

func (p *parser) elems() iter { return p.open('[', ']', "a list") }

func (p *parser) nextElem(it *iter) bool { return p.more(it) }

// nextField moves to the next field and reads its name into p.keyBuf.
func (p *parser) nextField(it *iter) bool {
	if !p.more(it) {
		return false
	}
	switch p.next() {
	case '"':
	case 0:
		p.truncated()
	default:
		p.fail("expected a field name")
	}
	p.keyBuf = append(p.keyBuf[:0], p.rawString()...)
	p.expect(':')
	return true
}

func (p *parser) wrongType(want string) {
	c := p.next()
	if c == 0 {
		p.truncated()
	}
	found := "a number"
	switch c {
	case '"':
		found = "a string"
	case '{':
		found = "an object"
	case '[':
		found = "a list"
	case 't', 'f':
		found = "a boolean"
	case 'n':
		found = "null"
	default:
		if c != '-' && (c < '0' || c > '9') {
			p.fail("invalid character %q", c)
		}
	}
	p.fail("expected %s, found %s", want, found)
}

func (p *parser) literal(lit string) {
	if p.fill(len(lit)) < len(lit) {
		p.truncated()
	}
	if string(p.buf[p.pos:p.pos+len(lit)]) != lit {
		p.fail("invalid literal")
	}
	p.pos += len(lit)
}

// rawString reads a JSON string and returns its unescaped bytes, valid until the next read.
func (p *parser) rawString() []byte {
	p.pos++ // the opening quote
	start := p.pos
	// Fast path: no escape, control or non-ASCII byte before the closing quote in the buffer.
	for i := p.pos; i < p.end; i++ {
		c := p.buf[i]
		if c == '"' {
			if i-start > p.lim.MaxString {
				p.failLimit(apperr.ReportInvalid, "a text value is longer than %d bytes", p.lim.MaxString)
			}
			p.pos = i + 1
			return p.buf[start:i]
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	s := p.scratch[:0]
	raw := 0
	for {
		if p.pos == p.end && p.fill(1) == 0 {
			p.truncated()
		}
		j := p.pos
		for j < p.end {
			c := p.buf[j]
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				break
			}
			j++
		}
		s = append(s, p.buf[p.pos:j]...)
		raw += j - p.pos
		p.pos = j
		if raw > p.lim.MaxString {
			p.failLimit(apperr.ReportInvalid, "a text value is longer than %d bytes", p.lim.MaxString)
		}
		if p.pos == p.end {
			continue
		}
		switch c := p.buf[p.pos]; {
		case c == '"':
			p.pos++
			p.scratch = s
			return s
		case c == '\\':
			if p.fill(2) < 2 {
				p.truncated()
			}
			e := p.buf[p.pos+1]
			raw += 2
			switch e {
			case '"', '\\', '/':
				s = append(s, e)
			case 'b':
				s = append(s, '\b')
			case 'f':
				s = append(s, '\f')
			case 'n':
				s = append(s, '\n')
			case 'r':
				s = append(s, '\r')
			case 't':
				s = append(s, '\t')
			case 'u':
				r := p.hex4()
				raw += 4
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if p.fill(12) >= 12 && p.buf[p.pos+6] == '\\' && p.buf[p.pos+7] == 'u' {
						p.pos += 6
						r2 = p.hex4()
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r, r2 = d, -1
							raw += 6
						} else {
							r = utf8.RuneError
							p.pos -= 6 // the second escape is read again on its own
						}
					} else {
						r = utf8.RuneError
					}
				}
				s = utf8.AppendRune(s, r)
				p.pos += 6
				continue
			default:
				p.fail("invalid escape \\%c in a string", e)
			}
			p.pos += 2
		case c < 0x20:
			p.fail("a control character inside a string")
		default:
			p.fill(utf8.UTFMax)
			r, size := utf8.DecodeRune(p.buf[p.pos:p.end])
			if r == utf8.RuneError && size == 1 {
				p.invalid++
				s = utf8.AppendRune(s, utf8.RuneError)
			} else {
				s = append(s, p.buf[p.pos:p.pos+size]...)
			}
			p.pos += size
			raw += size
		}
	}
}

func (p *parser) hex4() rune {
	if p.fill(6) < 6 {
		p.truncated()
	}
	var r rune
	for _, c := range p.buf[p.pos+2 : p.pos+6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			p.fail("invalid \\u escape in a string")
		}
		r = r*16 + rune(c)
	}
	return r
}

func (p *parser) intern(b []byte) string {
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.strs) < internMax {
		p.strs[s] = s
	}
	return s
}

// slot remembers the last value of one field: consecutive operations of one user repeat it, and
// a comparison is much cheaper than an intern-table lookup.
type slot struct{ last string }

// str reads a string field (null is ""); with a slot the value is interned.
func (p *parser) str(sl *slot) string {
	switch p.next() {
	case '"':
		b := p.rawString()
		if sl == nil {
			return string(b)
		}
		if string(b) == sl.last {
			return sl.last
		}
		sl.last = p.intern(b)
		return sl.last
	case 'n':
		p.literal("null")
		return ""
	}
	p.wrongType("a string")
	return ""
}

// number reads a JSON number and returns its text.
func (p *parser) number() []byte {
	p.fill(64)
	i := p.pos
	digits := func() int {
		n := 0
		for i < p.end && p.buf[i] >= '0' && p.buf[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < p.end && p.buf[i] == '-' {
		i++
	}
	if i < p.end && p.buf[i] == '0' {
		i++
	} else if digits() == 0 {
		p.wrongType("a number")
	}
	if i < p.end && p.buf[i] == '.' {
		i++
		if digits() == 0 {
			p.fail("invalid number")
		}
	}
	if i < p.end && (p.buf[i] == 'e' || p.buf[i] == 'E') {
		i++
		if i < p.end && (p.buf[i] == '+' || p.buf[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.fail("invalid number")
		}
	}
	if i == p.end && !p.eof {
		p.fail("a number longer than 64 characters")
	}
	b := p.buf[p.pos:i]
	p.pos = i
	return b
}

func (p *parser) integer() int {
	if p.next() == 'n' {
		p.literal("null")
		return 0
	}
	b := p.number()
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || int64(int(n)) != n {
		p.fail("expected a whole number, found %s", b)
	}
	return int(n)
}

// value reads any JSON value; with keep it returns it as encoding/json would decode into any
// (numbers as json.Number), else it only checks and skips it.
func (p *parser) value(keep bool) any {
	switch c := p.next(); {
	case c == '"':
		b := p.rawString()
		if keep {
			return string(b)
		}
		return nil
	case c == '{':
		var m map[string]any
		if keep {
			m = map[string]any{}
		}
		for it := p.fields(); p.nextField(&it); {
			k := string(p.keyBuf)
			v := p.value(keep)
			if keep {
				m[k] = v
			}
		}
		if keep {
			return m
		}
		return nil
	case c == '[':
		var l []any
		for it := p.elems(); p.nextElem(&it); {
			v := p.value(keep)
			if keep {
				l = append(l, v)
			}
		}
		if keep && l == nil {
			l = []any{}
		}
		return l
	case c == 't':
		p.literal("true")
		return true
	case c == 'f':
		p.literal("false")
		return false
	case c == 'n':
		p.literal("null")
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		b := p.number()
		if keep {
			return json.Number(string(b))
		}
		return nil
	case c == 0:
		p.truncated()
	}
	p.fail("invalid character %q", p.next())
	return nil
}

// refSlots are the last-value slots of one kind of object reference.
type refSlots struct{ typ, name, email, entra, atlassian slot }

func (p *parser) objectRef(o *ObjectRef, sl *refSlots) {
	for it := p.fields(); p.nextField(&it); {
		switch string(p.keyBuf) {
		case "type":
			o.Type = p.str(&sl.typ)
		case "name":
			o.Name = p.str(&sl.name)
		case "email":
			o.Email = p.str(&sl.email)
		case "entraId":
			o.EntraID = p.str(&sl.entra)
		case "atlassianId":
			o.AtlassianID = p.str(&sl.atlassian)
		default:
			p.value(false)
		}
	}
}

// appendKey appends one length-prefixed part to a cache key (a prefix, unlike a separator, cannot
// be forged by a value that contains it).
func appendKey(key []byte, tag byte, v []byte) []byte {
	key = append(key, tag)
	key = binary.AppendUvarint(key, uint64(len(v)))
	return append(key, v...)
}

// group reads an operation's group. A run has a few thousand groups repeated over a million
// memberships, so the group is looked up by its raw field values in a small table before any
// string is made; equal groups share one pointer (read-only for callers).
func (p *parser) group() *ObjectRef {
	if p.next() == 'n' {
		p.literal("null")
		return nil
	}
	key := p.gkey[:0]
	for it := p.fields(); p.nextField(&it); {
		var tag byte
		switch string(p.keyBuf) {
		case "type":
			tag = 't'
		case "name":
			tag = 'n'
		case "email":
			tag = 'm'
		case "entraId":
			tag = 'e'
		case "atlassianId":
			tag = 'a'
		default:
			p.value(false)
			continue
		}
		switch p.next() {
		case '"':
			key = appendKey(key, tag, p.rawString())
		case 'n':
			p.literal("null")
			key = appendKey(key, tag, nil)
		default:
			p.wrongType("a string")
		}
	}
	p.gkey = key
	if g, ok := p.groups[string(key)]; ok {
		return g
	}
	g := new(ObjectRef)
	for k := key; len(k) > 0; {
		tag := k[0]
		n, w := binary.Uvarint(k[1:])
		v := p.intern(k[1+w : 1+w+int(n)])
		k = k[1+w+int(n):]
		switch tag {
		case 't':
			g.Type = v
		case 'n':
			g.Name = v
		case 'm':
			g.Email = v
		case 'e':
			g.EntraID = v
		case 'a':
			g.AtlassianID = v
		}
	}
	if len(p.groups) < internMax {
		p.groups[string(key)] = g
	}
	return g
}

// chain reads a membership chain, looked up like groups; equal chains share one slice (read-only).
func (p *parser) chain() []string {
	key := p.ckey[:0]
	n := 0
	it := p.elems()
	for p.nextElem(&it) {
		switch p.next() {
		case '"':
			key = appendKey(key, 's', p.rawString())
		case 'n':
			p.literal("null")
			key = appendKey(key, 's', nil)
		default:
			p.wrongType("a string")
		}
		n++
		if n > p.lim.MaxItems {
			p.failLimit(apperr.ReportTooLarge, "a chain holds more than %d groups", p.lim.MaxItems)
		}
	}
	p.ckey = key
	if it.null {
		return nil
	}
	if c, ok := p.chains[string(key)]; ok {
		return c
	}
	c := make([]string, 0, n)
	for k := key; len(k) > 0; {
		l, w := binary.Uvarint(k[1:])
		c = append(c, p.intern(k[1+w:1+w+int(l)]))
		k = k[1+w+int(l):]
	}
	if len(p.chains) < internMax {
		p.chains[string(key)] = c
	}
	return c
}

func (p *parser) operation(op *Operation) {
	if p.next() != '{' {
		p.wrongType("an object")
	}
	sl := &p.slots
	for it := p.fields(); p.nextField(&it); {
		switch string(p.keyBuf) {
		case "seq":
			op.Seq = p.integer()
		case "action":
			op.Action = Action(p.str(&sl.action))
		case "object":
			p.objectRef(&op.Object, &sl.object)
		case "group":
			op.Group = p.group()
		case "chain":
			op.Chain = p.chain()
		case "changes":
			var cs []Change
			ci := p.elems()
			for p.nextElem(&ci) {
				var c Change
				for f := p.fields(); p.nextField(&f); {
					switch string(p.keyBuf) {
					case "attribute":
						c.Attribute = p.str(&sl.attribute)
					case "old":
						c.Old = p.str(nil)
					case "new":
						c.New = p.str(nil)
					default:
						p.value(false)
					}
				}
				cs = append(cs, c)
				if len(cs) > p.lim.MaxItems {
					p.failLimit(apperr.ReportTooLarge, "an operation holds more than %d changes", p.lim.MaxItems)
				}
			}
			if !ci.null && cs == nil {
				cs = []Change{}
			}
			op.Changes = cs
		case "reason":
			op.Reason = p.str(&sl.reason)
		case "result":
			op.Result = Result(p.str(&sl.result))
		case "code":
			op.Code = p.str(&sl.code)
		case "message":
			op.Message = p.str(nil)
		default:
			p.value(false)
		}
	}
}

func (p *parser) skip(s *Skip) {
	if p.next() != '{' {
		p.wrongType("an object")
	}
	for it := p.fields(); p.nextField(&it); {
		switch string(p.keyBuf) {
		case "object":
			p.objectRef(&s.Object, &p.slots.skip)
		case "reason":
			s.Reason = p.str(&p.slots.reason)
		case "detail":
			s.Detail = p.str(nil)
		default:
			p.value(false)
		}
	}
}

// finish checks that nothing but white space follows the report.
func (p *parser) finish() {
	if p.next() != 0 {
		p.fail("data follows the report")
	}
}
