package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"

	_ "embed"

	"github.com/idpsync/idpsync/internal/apperr"
)

// The viewer is plain JS and CSS written for this file: no framework, no network, no external
// resource. Both are inlined and allowed by their SHA-256 in the Content-Security-Policy, so no
// other script or style (for instance one smuggled into a user's name) can run.
var (
	//go:embed viewer/viewer.js
	viewerJS string
	//go:embed viewer/viewer.css
	viewerCSS string
)

const (
	// dataElementOpen is the exact element the loader looks for; the viewer reads the same id.
	dataElementOpen = `<script type="application/json" id="idpsync-report-data">`
	dataElementEnd  = `</script>`
	generatorMeta   = `<meta name="generator" content="IdP Sync report">`
	// maxHTMLPrefix is how far into an HTML file the data element must start: the page head is
	// about 20 KiB, so anything further is not a report written here.
	maxHTMLPrefix = 1 << 20
)

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// CSP is the Content-Security-Policy of the HTML report: nothing is allowed but the inline viewer
// script and style (by hash) and data: images; no connections, frames, forms, fonts or base URL.
var CSP = "default-src 'none'; script-src " + cspHash(viewerJS) + "; style-src " + cspHash(viewerCSS) +
	"; img-src data:; base-uri 'none'; form-action 'none'"

func htmlPrefix() string {
	return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
		`<meta http-equiv="Content-Security-Policy" content="` + CSP + `">` + "\n" +
		`<meta name="referrer" content="no-referrer">` + "\n" +
		`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n" +
		generatorMeta + "\n" +
		"<title>IdP Sync report</title>\n<style>" + viewerCSS + "</style>\n</head>\n<body>\n" +
		`<noscript><p class="noscript">This report needs JavaScript to show its data. The data is also inside this file as JSON.</p></noscript>` + "\n" +
		`<div id="app" aria-live="polite"><p class="loading">Loading report…</p></div>` + "\n" +
		dataElementOpen
}

func htmlSuffix() string {
	return dataElementEnd + "\n<script>" + viewerJS + "</script>\n</body>\n</html>\n"
}

// HTMLWriter streams a self-contained HTML report: the page head, the canonical JSON (HTML-safe, so
// "</script>", "<!--" and U+2028/2029 cannot appear in it raw), then the viewer.
type HTMLWriter struct {
	*Writer
	w io.Writer
}

// NewHTMLWriter writes the page head and the report header. Use WriteOperation/WriteSkip, then Close.
func NewHTMLWriter(w io.Writer, h *Report, pseudo *Pseudonymizer) (*HTMLWriter, error) {
	if _, err := io.WriteString(w, htmlPrefix()); err != nil {
		return nil, err
	}
	jw, err := NewWriter(w, h, WriteOptions{Pseudonymize: pseudo})
	if err != nil {
		return nil, err
	}
	return &HTMLWriter{Writer: jw, w: w}, nil
}

// Close writes the trailer and the viewer.
func (hw *HTMLWriter) Close(t *Report) error {
	if err := hw.Writer.Close(t); err != nil {
		return err
	}
	_, err := io.WriteString(hw.w, htmlSuffix())
	return err
}

// WriteHTML writes a whole report as a self-contained HTML file.
func WriteHTML(w io.Writer, r *Report, pseudo *Pseudonymizer) error {
	hw, err := NewHTMLWriter(w, r, pseudo)
	if err != nil {
		return err
	}
	return r.streamInto(hw)
}

var errNotOurHTML = errors.New("an HTML file that is not an IdP Sync report")

// decodeHTML reads the JSON embedded in an HTML report written by this package. Other HTML is
// refused: the page must carry the generator meta and the data element near its top.
func decodeHTML(br *bufio.Reader, lim Limits, v Visitor) (*Report, Info, error) {
	refuse := func(why string) (*Report, Info, error) {
		return nil, Info{Format: FormatHTML}, apperr.New(apperr.ReportInvalid, "%s: %s", errNotOurHTML.Error(), why).
			WithAction("Open an HTML report exported by IdP Sync, or the report's .json file.")
	}
	var head []byte
	for {
		b, err := br.ReadSlice('>')
		from := max(0, len(head)-len(dataElementOpen))
		head = append(head, b...)
		// Search only the new bytes (and a marker's length before them): pages with many '>'
		// must not make this quadratic.
		if i := bytes.Index(head[from:], []byte(dataElementOpen)); i >= 0 {
			i += from
			if !bytes.Contains(head[:i], []byte(generatorMeta)) {
				return refuse("it was not written by IdP Sync")
			}
			break
		}
		if len(head) > maxHTMLPrefix {
			return refuse("no report data near the top of the page")
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			var le *limitError
			if errors.As(err, &le) {
				return nil, Info{Format: FormatHTML}, classify(err)
			}
			return refuse("no report data in the page")
		}
	}
	// The embedded JSON never contains '<' (the writer escapes it), so the data ends at the first one.
	body := &untilLT{r: br}
	rep, info, err := Decode(body, lim, v)
	info.Format = FormatHTML
	if err != nil {
		return nil, info, err
	}
	end := make([]byte, len(dataElementEnd))
	if _, err := io.ReadFull(br, end); err != nil || string(end) != dataElementEnd {
		return nil, info, apperr.New(apperr.ReportInvalid, "the report data in the page is not closed properly (byte %d of the data)", info.Bytes).
			WithAction("The file is damaged; export the report again.")
	}
	// The data is whole; a page cut short after it still loads, with a warning, because the
	// viewer of such a file will not work in a browser.
	tail, _ := io.ReadAll(io.LimitReader(br, maxHTMLPrefix))
	if !bytes.Contains(tail, []byte("</html>")) {
		info.Warnings = append(info.Warnings, "the HTML page is cut short after its data; the data is complete")
	}
	return rep, info, nil
}

// untilLT reads from r up to (not including) the first '<'.
type untilLT struct {
	r    *bufio.Reader
	done bool
}

func (u *untilLT) Read(p []byte) (int, error) {
	if u.done {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		buf, err := u.r.Peek(1)
		if len(buf) == 0 {
			if n > 0 {
				return n, nil
			}
			if err == io.EOF {
				return 0, io.ErrUnexpectedEOF // the page ends inside the data
			}
			return 0, err
		}
		avail := u.r.Buffered()
		chunk, _ := u.r.Peek(min(avail, len(p)-n))
		if i := bytes.IndexByte(chunk, '<'); i >= 0 {
			copy(p[n:], chunk[:i])
			u.r.Discard(i)
			u.done = true
			return n + i, nil
		}
		copy(p[n:], chunk)
		u.r.Discard(len(chunk))
		n += len(chunk)
		if u.r.Buffered() == 0 {
			return n, nil
		}
	}
	return n, nil
}
