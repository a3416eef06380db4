package report

import (
	"bytes"
	"io"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must refuse with a report error code or load a
// report that writes back (JSON, HTML, CSV) and reloads to the same canonical bytes. The seed
// corpus in testdata/fuzz/FuzzLoad runs in every `go test`.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"schema":"idpsync.report","version":1,"operations":[]}`))
	f.Add([]byte(`{}`))
	lim := DefaultLimits
	lim.MaxBytes = 4 << 20
	lim.BombFloor = 1 << 20
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := LoadLimits(bytes.NewReader(b), lim)
		if err != nil {
			switch c := apperr.CodeOf(err); c {
			case apperr.ReportInvalid, apperr.ReportTooLarge, apperr.ReportUnsupported:
			default:
				t.Fatalf("refused with code %s: %v", c, err)
			}
			if apperr.As(err).Action == "" {
				t.Fatalf("no action in %v", err)
			}
			return
		}
		var first bytes.Buffer
		if err := Write(&first, l.Report, WriteOptions{}); err != nil {
			t.Fatalf("a loaded report does not write: %v", err)
		}
		var page bytes.Buffer
		if err := WriteHTML(&page, l.Report, nil); err != nil {
			t.Fatal(err)
		}
		if err := WriteCSV(io.Discard, io.Discard, l.Report, NewPseudonymizer(false)); err != nil {
			t.Fatal(err)
		}
		l2, err := LoadLimits(bytes.NewReader(page.Bytes()), DefaultLimits)
		if err != nil {
			t.Fatalf("the HTML export does not load: %v", err)
		}
		var second bytes.Buffer
		Write(&second, l2.Report, WriteOptions{})
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("round trip changed the report:\n%s\n%s", first.Bytes(), second.Bytes())
		}
	})
}
