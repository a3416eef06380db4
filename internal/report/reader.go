package report

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Format is how a report file is stored.
type Format string

const (
	FormatJSON Format = "json"
	FormatGzip Format = "gzip" // gzip-compressed JSON
	FormatHTML Format = "html" // the self-contained viewer with the JSON embedded
)

// Info describes a loaded report file beyond its content.
type Info struct {
	Format      Format   `json:"format"`
	Bytes       int64    `json:"bytes"`       // uncompressed JSON bytes read
	InvalidUTF8 int      `json:"invalidUtf8"` // invalid UTF-8 sequences, each shown as U+FFFD
	Warnings    []string `json:"warnings,omitempty"`

	// late lists top-level fields that came after the operations: a streaming consumer's Begin
	// did not see them.
	late []string
}

// Visitor receives a report as it is decoded, so that a caller can process 1,000,000 operations
// without holding them. Any callback may be nil.
type Visitor struct {
	// Begin is called once, before the first operation or skip (or at the end if there are none),
	// with the top-level fields read so far. Files written by Writer carry every field but the
	// trailer (status, ended, phases, counts, errors) before the operations.
	Begin     func(partial *Report) error
	Operation func(op *Operation) error
	Skip      func(s *Skip) error
}

// Decode reads one JSON report from r within lim, streaming operations and skips to v. It returns
// the report without its operations and skips (those went to v).
func Decode(r io.Reader, lim Limits, v Visitor) (*Report, Info, error) {
	p := newParser(r, lim)
	rep, late, err := p.run(v)
	info := Info{Format: FormatJSON, Bytes: p.off + int64(p.pos), InvalidUTF8: p.invalid, late: late}
	if info.InvalidUTF8 > 0 {
		info.Warnings = append(info.Warnings, fmt.Sprintf("%d invalid UTF-8 sequence(s) were replaced with U+FFFD", info.InvalidUTF8))
	}
	if err != nil {
		return nil, info, classify(err)
	}
	return rep, info, nil
}

// where says where the decoder is, for error messages.
type where struct {
	section string
	index   int
}

func (w *where) String() string {
	if w.section == "" {
		return ""
	}
	return fmt.Sprintf(" in %s #%d", w.section, w.index+1)
}

var errNotObject = errors.New("the file does not hold a JSON object")

// run decodes the top-level object: summary fields are gathered and checked, the two lists are
// streamed. It returns the top-level fields that came after a list (see Info.late).
func (p *parser) run(v Visitor) (rep *Report, late []string, err error) {
	w := &where{}
	defer func() {
		if x := recover(); x != nil {
			pe, ok := x.(*parseError)
			if !ok {
				panic(x)
			}
			pe.where = w.String()
			rep, late, err = nil, nil, pe
		}
	}()
	switch p.next() {
	case '{':
	case 0:
		p.truncated()
	default:
		return nil, nil, errNotObject
	}
	hdr := map[string]any{}
	hdrBytes := int64(0)
	began := false
	seen := map[string]bool{}
	raise := func(err error) {
		if err != nil {
			panic(&parseError{cause: err, line: p.line, off: p.offset()})
		}
	}
	begin := func() {
		if began {
			return
		}
		began = true
		// Refuse a non-report before reading its body when it says what it is; a file whose
		// schema comes later is checked at the end.
		_, hasSchema := hdr["schema"]
		h, err := headerReport(hdr, !hasSchema)
		raise(err)
		if v.Begin != nil {
			raise(v.Begin(h))
		}
	}
	var op Operation
	var sk Skip
	for it := p.fields(); p.nextField(&it); {
		key := string(p.keyBuf)
		if seen[key] {
			p.fail("the field %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "operations", "skips":
			begin()
			if c := p.next(); c != '[' && c != 'n' {
				p.wrongType("a list for " + key)
			}
			w.section, w.index = key[:len(key)-1], 0
			max := p.lim.MaxOperations
			if key == "skips" {
				max = p.lim.MaxSkips
			}
			for el := p.elems(); p.nextElem(&el); {
				if w.index >= max {
					p.failLimit(apperr.ReportTooLarge, "the report holds more than %d %s", max, key)
				}
				if key == "operations" {
					op = Operation{}
					p.operation(&op)
					if v.Operation != nil {
						raise(v.Operation(&op))
					}
				} else {
					sk = Skip{}
					p.skip(&sk)
					if v.Skip != nil {
						raise(v.Skip(&sk))
					}
				}
				w.index++
			}
			w.section = ""
		default:
			start := p.offset()
			val := p.value(true)
			hdrBytes += p.offset() - start
			if hdrBytes > int64(p.lim.MaxHeader) {
				p.failLimit(apperr.ReportTooLarge, "the report's summary fields are larger than %s", humanBytes(int64(p.lim.MaxHeader)))
			}
			if began {
				// After a list: kept for the full report; a streaming consumer's Begin missed it.
				late = append(late, key)
			}
			hdr[key] = val
		}
	}
	p.finish()
	begin()
	full, err := headerReport(hdr, false)
	if err != nil {
		return nil, nil, err
	}
	if !seen["operations"] {
		return nil, nil, errors.New("the report has no operations list")
	}
	return full, late, nil
}

// headerReport builds a Report from the top-level fields and checks it is a report of a known
// version (unless lenient).
func headerReport(hdr map[string]any, lenient bool) (*Report, error) {
	if !lenient {
		if schema, _ := hdr["schema"].(string); schema != SchemaName {
			return nil, errNotReport
		}
		raw, ok := hdr["version"]
		if !ok {
			return nil, errors.New("the report has no version field")
		}
		num, ok := raw.(json.Number)
		if !ok {
			return nil, errors.New("the version field is not a number")
		}
		if version, err := strconv.Atoi(string(num)); err != nil || version != SchemaVersion {
			return nil, &versionError{string(num)}
		}
	}
	b, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	r.Operations, r.Skips = nil, nil
	return &r, nil
}

var errNotReport = errors.New("not an IdP Sync report (the schema field is missing or different)")

type versionError struct{ v string }

func (e *versionError) Error() string {
	return fmt.Sprintf("report schema version %s is not supported (this app reads version %d)", e.v, SchemaVersion)
}

// classify turns any decode failure into the apperr the screens and CLI show.
func classify(err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	var le *limitError
	if errors.As(err, &le) {
		e := apperr.Wrap(err, le.code, "%s", le.msg)
		if le.code == apperr.ReportTooLarge {
			return e.WithAction("Open a smaller report, or export it again with fewer operations.")
		}
		return e.WithAction("The file is damaged or was not written by IdP Sync; export the report again.")
	}
	var ve *versionError
	if errors.As(err, &ve) {
		return apperr.Wrap(err, apperr.ReportUnsupported, "%s", ve.Error()).
			WithAction("Open it with the version of IdP Sync that wrote it, or update IdP Sync.")
	}
	var pe *parseError
	if errors.As(err, &pe) && pe.cause == nil {
		if pe.truncated {
			return apperr.Wrap(err, apperr.ReportInvalid, "the report is truncated%s%s", pe.where, pe.at()).
				WithAction("The file was cut short (an interrupted copy or download?); copy or export it again.")
		}
		return apperr.Wrap(err, apperr.ReportInvalid, "the report is not valid: %s%s%s", pe.msg, pe.where, pe.at()).
			WithAction("The file is damaged or was not written by IdP Sync; export the report again.")
	}
	switch {
	case errors.Is(err, errNotReport), errors.Is(err, errNotObject):
		return apperr.Wrap(err, apperr.ReportInvalid, "%s", err.Error()).
			WithAction("Choose a report exported by IdP Sync (.json, .json.gz or .html).")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Wrap(err, apperr.ReportInvalid, "the report is truncated").
			WithAction("The file was cut short (an interrupted copy or download?); copy or export it again.")
	}
	return apperr.Wrap(err, apperr.ReportInvalid, "the report cannot be read: %s", err.Error()).
		WithAction("The file is damaged or was not written by IdP Sync; export the report again.")
}

// Loaded is a report read whole into memory, with what is known about its file.
type Loaded struct {
	Report *Report
	Info   Info
}

// Load reads a report in any supported format (JSON, gzip JSON, or an HTML report written by this
// package) from r, holding it whole. Equal groups and chains are shared between operations (one
// copy per group, not per membership): treat Operation.Group and Operation.Chain as read-only.
func Load(r io.Reader) (*Loaded, error) { return LoadLimits(r, DefaultLimits) }

// LoadLimits is Load with explicit limits.
func LoadLimits(r io.Reader, lim Limits) (*Loaded, error) {
	// Operations are gathered in chunks and copied once into an exact-size slice: appending to one
	// slice would copy 1,000,000 operations repeatedly and peak at three times their size.
	var ops chunks[Operation]
	var skips chunks[Skip]
	rep, info, err := DecodeAny(r, lim, Visitor{
		Operation: func(op *Operation) error { ops.add(op); return nil },
		Skip:      func(s *Skip) error { skips.add(s); return nil },
	})
	if err != nil {
		return nil, err
	}
	rep.Operations, rep.Skips = ops.all(), skips.all()
	return &Loaded{Report: rep, Info: info}, nil
}

type chunks[T any] struct {
	full [][]T
	cur  []T
	n    int
}

const chunkLen = 1 << 14

func (c *chunks[T]) add(v *T) {
	if len(c.cur) == cap(c.cur) {
		if c.cur != nil {
			c.full = append(c.full, c.cur)
		}
		c.cur = make([]T, 0, chunkLen)
	}
	c.cur = append(c.cur, *v)
	c.n++
}

func (c *chunks[T]) all() []T {
	out := make([]T, 0, c.n)
	for _, f := range c.full {
		out = append(out, f...)
	}
	out = append(out, c.cur...)
	c.full, c.cur = nil, nil
	return out
}

// LoadFile opens and loads path. A file larger than the limit is refused before it is read.
func LoadFile(path string) (*Loaded, error) {
	f, err := openReport(path, DefaultLimits)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Load(f)
}

func openReport(path string, lim Limits) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, apperr.Wrap(err, apperr.NotFound, "the report file %s does not exist", path)
		}
		return nil, apperr.Wrap(err, apperr.InvalidInput, "the report file %s cannot be opened", path)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, apperr.Wrap(err, apperr.InvalidInput, "the report file %s cannot be read", path)
	}
	if st.IsDir() {
		f.Close()
		return nil, apperr.New(apperr.InvalidInput, "%s is a folder, not a report file", path)
	}
	if st.Size() > lim.MaxBytes {
		f.Close()
		return nil, apperr.New(apperr.ReportTooLarge, "the report file is %s; the limit is %s", humanBytes(st.Size()), humanBytes(lim.MaxBytes)).
			WithAction("Open a smaller report.")
	}
	return f, nil
}

// DecodeFile streams the report at path to v (any supported format).
func DecodeFile(path string, lim Limits, v Visitor) (*Report, Info, error) {
	f, err := openReport(path, lim)
	if err != nil {
		return nil, Info{}, err
	}
	defer f.Close()
	return DecodeAny(f, lim, v)
}

// DecodeAny detects the format of r (gzip magic, HTML, or JSON) and streams the report to v.
func DecodeAny(r io.Reader, lim Limits, v Visitor) (*Report, Info, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	format, err := sniff(br)
	if err != nil {
		return nil, Info{}, err
	}
	switch format {
	case FormatGzip:
		cr := &countingReader{r: br}
		zr, err := gzip.NewReader(cr)
		if err != nil {
			return nil, Info{Format: FormatGzip}, apperr.Wrap(err, apperr.ReportInvalid, "the gzip data is damaged").
				WithAction("The file is damaged; export the report again.")
		}
		zr.Multistream(false)
		inner := bufio.NewReaderSize(&bombReader{r: zr, compressed: cr, lim: lim}, 64<<10)
		innerFormat, err := sniff(inner)
		if err != nil {
			return nil, Info{Format: FormatGzip}, gzipErr(err)
		}
		var rep *Report
		var info Info
		if innerFormat == FormatHTML {
			rep, info, err = decodeHTML(inner, lim, v)
		} else if innerFormat == FormatJSON {
			rep, info, err = Decode(inner, lim, v)
		} else {
			return nil, Info{Format: FormatGzip}, apperr.New(apperr.ReportInvalid, "the gzip file does not hold a report").
				WithAction("Choose a report exported by IdP Sync (.json, .json.gz or .html).")
		}
		info.Format = FormatGzip
		return rep, info, gzipErr(err)
	case FormatHTML:
		return decodeHTML(br, lim, v)
	default:
		return Decode(br, lim, v)
	}
}

func gzipErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return apperr.Wrap(err, apperr.ReportInvalid, "the gzip data is damaged").WithAction("The file is damaged; export the report again.")
	}
	return classify(err)
}

// sniff looks at the first bytes: gzip magic, '<' for HTML, '{' for JSON (after a BOM and spaces).
func sniff(br *bufio.Reader) (Format, error) {
	head, err := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		return FormatGzip, nil
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	for {
		b, err2 := br.Peek(1)
		if len(b) == 0 {
			if err2 == nil {
				err2 = err
			}
			if err2 != nil && !errors.Is(err2, io.EOF) {
				var le *limitError
				if errors.As(err2, &le) {
					return "", classify(err2)
				}
				return "", apperr.Wrap(err2, apperr.ReportInvalid, "the report file cannot be read").WithAction("Choose the file again.")
			}
			return "", apperr.New(apperr.ReportInvalid, "the file is empty").WithAction("Choose a report exported by IdP Sync.")
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		case '<':
			return FormatHTML, nil
		case '{':
			return FormatJSON, nil
		}
		return "", apperr.New(apperr.ReportInvalid, "not a report: the file is neither JSON, gzip, nor an IdP Sync HTML report").
			WithAction("Choose a report exported by IdP Sync (.json, .json.gz or .html).")
	}
}
