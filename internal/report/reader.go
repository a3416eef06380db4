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
	g := newGuard(r, lim)
	rep, late, err := decode(g, lim, v)
	info := Info{Format: FormatJSON, Bytes: g.n, InvalidUTF8: g.invalid, late: late}
	if g.seqWant > 0 {
		info.InvalidUTF8++
	}
	if info.InvalidUTF8 > 0 {
		info.Warnings = append(info.Warnings, fmt.Sprintf("%d invalid UTF-8 sequence(s) were replaced with U+FFFD", info.InvalidUTF8))
	}
	if err != nil {
		return nil, info, classify(err, g)
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

type decodeError struct {
	where string
	err   error
}

func (e *decodeError) Error() string { return e.err.Error() + e.where }
func (e *decodeError) Unwrap() error { return e.err }

var errNotObject = errors.New("the file does not hold a JSON object")

func decode(g *guard, lim Limits, v Visitor) (*Report, []string, error) {
	rep, late, err := decodeObject(json.NewDecoder(g), lim, v)
	return rep, late, err
}

func decodeObject(dec *json.Decoder, lim Limits, v Visitor) (rep *Report, late []string, err error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, errNotObject
	}
	hdr := map[string]json.RawMessage{}
	hdrBytes := 0
	began := false
	begin := func() error {
		if began {
			return nil
		}
		began = true
		// Refuse a non-report before reading its body when it says what it is; a file whose
		// schema comes later is checked at the end.
		_, hasSchema := hdr["schema"]
		p, err := headerReport(hdr, !hasSchema)
		if err != nil {
			return err
		}
		if v.Begin != nil {
			return v.Begin(p)
		}
		return nil
	}
	seen := map[string]bool{}
	w := &where{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, nil, fmt.Errorf("the field %q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "operations", "skips":
			if err := begin(); err != nil {
				return nil, nil, err
			}
			if err := decodeArray(dec, key, w, v); err != nil {
				return nil, nil, &decodeError{where: w.String(), err: err}
			}
			w.section = ""
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, nil, err
			}
			hdrBytes += len(raw) + len(key)
			if hdrBytes > lim.MaxHeader {
				return nil, nil, &limitError{code: apperr.ReportTooLarge, msg: fmt.Sprintf("the report's summary fields are larger than %s", humanBytes(int64(lim.MaxHeader)))}
			}
			if began && key != "schema" && key != "version" {
				// After the body: keep it for the full report, and note that a streaming
				// consumer's partial header missed it.
				late = append(late, key)
			}
			hdr[key] = raw
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, nil, errors.New("data follows the report")
		}
		return nil, nil, err
	}
	if err := begin(); err != nil {
		return nil, nil, err
	}
	full, err := headerReport(hdr, false)
	if err != nil {
		return nil, nil, err
	}
	if !seen["operations"] {
		return nil, nil, errors.New("the report has no operations list")
	}
	return full, late, nil
}

func decodeArray(dec *json.Decoder, key string, w *where, v Visitor) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // null: an empty list
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("%s is not a list", key)
	}
	w.section, w.index = key[:len(key)-1], 0
	var op Operation
	var sk Skip
	for dec.More() {
		if key == "operations" {
			op = Operation{}
			if err := dec.Decode(&op); err != nil {
				return err
			}
			if v.Operation != nil {
				if err := v.Operation(&op); err != nil {
					return err
				}
			}
		} else {
			sk = Skip{}
			if err := dec.Decode(&sk); err != nil {
				return err
			}
			if v.Skip != nil {
				if err := v.Skip(&sk); err != nil {
					return err
				}
			}
		}
		w.index++
	}
	_, err = dec.Token()
	return err
}

// headerReport builds a Report from the top-level fields and checks it is a report of a known version.
func headerReport(hdr map[string]json.RawMessage, lenient bool) (*Report, error) {
	var schema string
	if raw, ok := hdr["schema"]; ok {
		if err := json.Unmarshal(raw, &schema); err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
	}
	if !lenient {
		if schema != SchemaName {
			return nil, errNotReport
		}
		var version int
		if _, ok := hdr["version"]; !ok {
			return nil, errors.New("the report has no version field")
		}
		if err := json.Unmarshal(hdr["version"], &version); err != nil {
			return nil, fmt.Errorf("version: %w", err)
		}
		if version != SchemaVersion {
			return nil, &versionError{version}
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for k, raw := range hdr {
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(raw)
	}
	b.WriteByte('}')
	var r Report
	if err := json.Unmarshal(b.Bytes(), &r); err != nil {
		return nil, err
	}
	r.Operations, r.Skips = nil, nil
	return &r, nil
}

var errNotReport = errors.New("not an IdP Sync report (the schema field is missing or different)")

type versionError struct{ v int }

func (e *versionError) Error() string {
	return fmt.Sprintf("report schema version %d is not supported (this app reads version %d)", e.v, SchemaVersion)
}

// classify turns any decode failure into the apperr the screens and CLI show.
func classify(err error, g *guard) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	var le *limitError
	if errors.As(err, &le) {
		e := apperr.Wrap(err, le.code, "%s", err.Error())
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
	at := fmt.Sprintf(" (line %d, byte %d)", g.ln, g.n)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, errNotReport), errors.Is(err, errNotObject):
		return apperr.Wrap(err, apperr.ReportInvalid, "%s", err.Error()).
			WithAction("Choose a report exported by IdP Sync (.json, .json.gz or .html).")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		var de *decodeError
		w := ""
		if errors.As(err, &de) {
			w = de.where
		}
		return apperr.Wrap(err, apperr.ReportInvalid, "the report is truncated%s%s", w, at).
			WithAction("The file was cut short (an interrupted copy or download?); copy or export it again.")
	case errors.As(err, &se):
		return apperr.Wrap(err, apperr.ReportInvalid, "the report is not valid JSON: %s%s", err.Error(), at).
			WithAction("The file is damaged; export the report again.")
	case errors.As(err, &te):
		return apperr.Wrap(err, apperr.ReportInvalid, "a field has the wrong type: %s%s", err.Error(), at).
			WithAction("The file is damaged or was not written by IdP Sync; export the report again.")
	}
	return apperr.Wrap(err, apperr.ReportInvalid, "the report cannot be read: %s%s", err.Error(), at).
		WithAction("The file is damaged or was not written by IdP Sync; export the report again.")
}

// Loaded is a report read whole into memory, with what is known about its file.
type Loaded struct {
	Report *Report
	Info   Info
}

// Load reads a report in any supported format (JSON, gzip JSON, or an HTML report written by this
// package) from r, holding it whole.
func Load(r io.Reader) (*Loaded, error) { return LoadLimits(r, DefaultLimits) }

// LoadLimits is Load with explicit limits.
func LoadLimits(r io.Reader, lim Limits) (*Loaded, error) {
	var ops []Operation
	var skips []Skip
	rep, info, err := DecodeAny(r, lim, Visitor{
		Operation: func(op *Operation) error { ops = append(ops, *op); return nil },
		Skip:      func(s *Skip) error { skips = append(skips, *s); return nil },
	})
	if err != nil {
		return nil, err
	}
	if ops == nil {
		ops = []Operation{}
	}
	if skips == nil {
		skips = []Skip{}
	}
	rep.Operations, rep.Skips = ops, skips
	return &Loaded{Report: rep, Info: info}, nil
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
	return classify(err, &guard{})
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
					return "", classify(err2, &guard{})
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
