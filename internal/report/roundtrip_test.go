package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
)

func mustJSON(t *testing.T, r *Report, opts WriteOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustLoad(t *testing.T, b []byte) *Loaded {
	t.Helper()
	l, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return l
}

// sameReport compares two reports field by field, times by instant.
func sameReport(t *testing.T, want, got *Report) {
	t.Helper()
	w, g := *want, *got
	for _, p := range []*Report{&w, &g} {
		p.Schema, p.Version = SchemaName, SchemaVersion
		p.Started, p.Ended, p.Confirmed.At = p.Started.UTC(), p.Ended.UTC(), p.Confirmed.At.UTC()
		ph := make([]Phase, len(p.Phases))
		for i, x := range p.Phases {
			x.Started = x.Started.UTC()
			ph[i] = x
		}
		p.Phases = ph
	}
	if !reflect.DeepEqual(w, g) {
		wj, _ := json.MarshalIndent(w, "", " ")
		gj, _ := json.MarshalIndent(g, "", " ")
		t.Fatalf("reports differ\nwant %s\ngot  %s", wj, gj)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	for _, gz := range []bool{false, true} {
		b := mustJSON(t, r, WriteOptions{Gzip: gz})
		l := mustLoad(t, b)
		sameReport(t, r, l.Report)
		want := FormatJSON
		if gz {
			want = FormatGzip
		}
		if l.Info.Format != want || l.Info.InvalidUTF8 != 0 {
			t.Fatalf("info %+v", l.Info)
		}
		if !json.Valid(b) && !gz {
			t.Fatal("output is not valid JSON")
		}
	}
}

func TestJSONIsHTMLSafe(t *testing.T) {
	b := mustJSON(t, sampleReport(), WriteOptions{})
	for _, bad := range []string{"<", ">", "\u2028", "\u2029"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Fatalf("canonical JSON holds a raw %q", bad)
		}
	}
}

func TestHTMLRoundTrip(t *testing.T) {
	r := sampleReport()
	var h bytes.Buffer
	if err := WriteHTML(&h, r, nil); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	if strings.Contains(page, evilName) || strings.Contains(page, "<img") {
		t.Fatal("the hostile name appears raw in the page")
	}
	if strings.Count(page, "</script>") != 2 || strings.Count(page, "<script") != 2 {
		t.Fatalf("unexpected script elements: %d open, %d close", strings.Count(page, "<script"), strings.Count(page, "</script>"))
	}
	if !strings.Contains(page, `content="`+CSP+`"`) || !strings.Contains(CSP, "script-src 'sha256-") || strings.Contains(CSP, "unsafe") {
		t.Fatalf("CSP missing or weak: %s", CSP)
	}
	for _, banned := range []string{"http://", "https://", "//cdn", "@import", "url("} {
		outside := page[:strings.Index(page, dataElementOpen)] + page[strings.Index(page, "</script>"):]
		if strings.Contains(strings.ReplaceAll(outside, "http://www.w3.org/2000/svg", ""), banned) {
			t.Fatalf("page references %q", banned)
		}
	}
	l := mustLoad(t, h.Bytes())
	if l.Info.Format != FormatHTML {
		t.Fatalf("format %s", l.Info.Format)
	}
	sameReport(t, r, l.Report)
	// HTML → JSON gives back the canonical bytes.
	if a, b := mustJSON(t, r, WriteOptions{}), mustJSON(t, l.Report, WriteOptions{}); !bytes.Equal(a, b) {
		t.Fatal("JSON → HTML → JSON changed the canonical JSON")
	}
}

func TestViewerHasNoMarkupSinks(t *testing.T) {
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
		"fetch(", "XMLHttpRequest", "WebSocket", "import(", "</script", "<!--", ".src", "setAttribute('style'", "javascript:"} {
		if strings.Contains(viewerJS, bad) {
			t.Errorf("viewer.js uses %q", bad)
		}
	}
	if strings.Contains(viewerCSS, "url(") || strings.Contains(viewerCSS, "@import") || strings.Contains(viewerCSS, "</style") {
		t.Error("viewer.css loads or breaks out")
	}
}

func TestCSVRoundTrip(t *testing.T) {
	r := sampleReport()
	var ob, sb bytes.Buffer
	if err := WriteCSV(&ob, &sb, r, nil); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*bytes.Buffer{&ob, &sb} {
		if !bytes.HasPrefix(b.Bytes(), []byte(utf8BOM)) {
			t.Fatal("no BOM")
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(ob.Bytes()[len(utf8BOM):])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(r.Operations)+1 || !reflect.DeepEqual(rows[0], OperationColumns) {
		t.Fatalf("rows %d, header %q", len(rows), rows[0])
	}
	for i, op := range r.Operations {
		row := rows[i+1]
		unq := func(s string) string { return strings.TrimPrefix(s, "'") }
		if row[0] != r.RunID || unq(row[4]) != op.Object.Name || unq(row[5]) != op.Object.Email || row[11] != string(op.Result) {
			t.Fatalf("row %d = %q", i, row)
		}
		if got := strings.Join(op.Chain, " > "); row[9] != got {
			t.Fatalf("chain %q want %q", row[9], got)
		}
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("unguarded formula cell %q", cell)
			}
		}
	}
	if rows[2][10] != `displayName:  → Zoë Ångström; title:  → =HYPERLINK("http://x")` {
		t.Fatalf("changes cell %q", rows[2][10])
	}
	if rows[6][4] != "'-2+3" || rows[6][5] != "'@eve@contoso.com" {
		t.Fatalf("formula guard: %q", rows[6])
	}
	srows, err := csv.NewReader(bytes.NewReader(sb.Bytes()[len(utf8BOM):])).ReadAll()
	if err != nil || len(srows) != 3 || srows[2][2] != "'\tTabbed" {
		t.Fatalf("skips %q %v", srows, err)
	}
}

func TestStreamingWriterSections(t *testing.T) {
	var b bytes.Buffer
	h := sampleReport()
	w, err := NewWriter(&b, h, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Skips first, then operations: any order, each once.
	for i := range h.Skips {
		if err := w.WriteSkip(&h.Skips[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range h.Operations {
		if err := w.WriteOperation(&h.Operations[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteSkip(&h.Skips[0]); err == nil {
		t.Fatal("reopening skips after operations was accepted")
	}
	tr := *h
	tr.Counts = nil // tallied by the writer
	if err := w.Close(&tr); err != nil {
		t.Fatal(err)
	}
	l := mustLoad(t, b.Bytes())
	sameReport(t, h, l.Report)

	// No sections at all still gives empty lists.
	b.Reset()
	w, _ = NewWriter(&b, h, WriteOptions{})
	if err := w.Close(&Report{Status: StatusPlanned}); err != nil {
		t.Fatal(err)
	}
	l = mustLoad(t, b.Bytes())
	if l.Report.Operations == nil || len(l.Report.Operations) != 0 || len(l.Report.Skips) != 0 || l.Report.Status != StatusPlanned {
		t.Fatalf("empty report: %+v", l.Report)
	}
}

func TestExportFileAllFormats(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "run.json")
	if err := os.WriteFile(src, mustJSON(t, sampleReport(), WriteOptions{}), 0o644); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "run.html")
	if _, err := ExportFile(src, ExportOptions{Format: "html", Out: html}); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "back.json.gz")
	if _, err := ExportFile(html, ExportOptions{Format: "json", Gzip: true, Out: gz}); err != nil {
		t.Fatal(err)
	}
	files, err := ExportFile(gz, ExportOptions{Format: "csv", Out: filepath.Join(dir, "csv")})
	if err != nil || len(files) != 2 {
		t.Fatal(files, err)
	}
	l, err := LoadFile(gz)
	if err != nil {
		t.Fatal(err)
	}
	sameReport(t, sampleReport(), l.Report)
	if _, err := ExportFile(src, ExportOptions{Format: "json", Out: src}); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatalf("overwriting the source: %v", err)
	}
	if _, err := ExportFile(src, ExportOptions{Format: "pdf", Out: src + ".pdf"}); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatalf("pdf: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("temporary file left: %s", e.Name())
		}
	}
}

func TestExportLateHeaderFallsBackToMemory(t *testing.T) {
	// A hand-written file with its header after the operations still exports completely.
	src := filepath.Join(t.TempDir(), "late.json")
	doc := `{"operations":[{"seq":1,"action":"create_user","object":{"type":"user","name":"A"},"result":"planned"}],` +
		`"skips":[],"schema":"idpsync.report","version":1,"runId":"late-run","tenant":{"id":"t","name":"T"}}`
	os.WriteFile(src, []byte(doc), 0o644)
	out := filepath.Join(filepath.Dir(src), "late.html")
	if _, err := ExportFile(src, ExportOptions{Format: "html", Out: out}); err != nil {
		t.Fatal(err)
	}
	l, err := LoadFile(out)
	if err != nil || l.Report.RunID != "late-run" || len(l.Report.Operations) != 1 {
		t.Fatalf("%+v %v", l, err)
	}
}
