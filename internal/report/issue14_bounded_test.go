package report

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// writeEmptyOps writes a report whose operations are n empty objects, gzipped or not: the
// smallest entries JSON allows, each of which a loader turns into a full operation.
func writeEmptyOps(t *testing.T, path string, n int, gz bool) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var w *bufio.Writer
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(f, gzip.BestCompression)
		w = bufio.NewWriter(zw)
	} else {
		w = bufio.NewWriter(f)
	}
	fmt.Fprintf(w, `{"schema":%q,"version":%d,"runId":"bomb","operations":[`, SchemaName, SchemaVersion)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("{}")
	}
	w.WriteString(`],"skips":[]}`)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := f.Stat()
	f.Close()
	return st.Size()
}

// peakHeap runs f and returns the most heap it held above what was live before, sampled every
// millisecond (runtime.MemStats.HeapAlloc), and the bytes it allocated in all.
func peakHeap(f func()) (peak, total uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, alloc0 := ms.HeapAlloc, ms.TotalAlloc
	var max atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapAlloc > base && m.HeapAlloc-base > max.Load() {
			max.Store(m.HeapAlloc - base)
		}
	}
	go func() {
		defer close(done)
		for {
			sample()
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	sample()
	runtime.ReadMemStats(&ms)
	return max.Load(), ms.TotalAlloc - alloc0
}

const mib = 1 << 20

// Issue 14 point 3: a gzip bomb of 400,000 "{}" entries (about 1.2 KB) is refused by opening,
// showing, exporting and comparing alike, with report_too_large, in bounded memory (before the
// fix 3,000,000 of them took about 1.3 GB to open); the same entries as plain JSON (1.2 MB, under
// the byte limit) open and page from disk in bounded memory, and the count limits refuse them
// with a clear error where they are lower than the file. 400,000 is the smallest size at which
// both rules can fail: its 1.2 MB pass BombFloor (1 MiB), so the bomb check is what refuses
// the gzip, and held in memory the entries would take about 170 MB (~430 bytes each), far past
// the 64 MiB bound. The comparison's count bound (maxCompareEntries, 2,000,000) is shown on a
// view whose spool holds that many entries and more but no data: refused before either side is
// read. (At 2,000,001 entries in the file, to reach that bound, this test took 34 s under -race.)
func TestIssue14_3_ReportFilesRunInBoundedMemoryWithCountLimits(t *testing.T) {
	const n = 400_000
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.json.gz")
	size := writeEmptyOps(t, bomb, n, true)
	if size > 4<<10 {
		t.Fatalf("the bomb is %d bytes, want about 1.2 KB", size)
	}
	t.Logf("bomb: %d operations in %d bytes of gzip", n, size)
	const bound = 64 * mib // generous: the parser's buffers are 64 KiB each
	isBomb := func(what string, err error) {
		t.Helper()
		e := apperr.As(err)
		if e == nil || e.Code != apperr.ReportTooLarge || !strings.Contains(e.Message, "compression bomb") || e.Action == "" {
			t.Errorf("%s: %v, want report_too_large naming the compression bomb, with an action", what, err)
		}
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"open", func() error {
			v, err := OpenView(bomb)
			if err == nil {
				v.Close()
			}
			return err
		}},
		{"show", func() error { _, err := SummarizeFile(bomb); return err }},
		{"export csv", func() error {
			_, err := ExportFile(bomb, ExportOptions{Format: "csv", Out: filepath.Join(dir, "bomb-csv")})
			return err
		}},
		{"export json", func() error {
			_, err := ExportFile(bomb, ExportOptions{Format: "json", Out: filepath.Join(dir, "bomb.json")})
			return err
		}},
		{"export html", func() error {
			_, err := ExportFile(bomb, ExportOptions{Format: "html", Out: filepath.Join(dir, "bomb.html")})
			return err
		}},
	}
	for _, s := range steps {
		var err error
		peak, total := peakHeap(func() { err = s.run() })
		t.Logf("bomb, %s: peak heap +%.1f MiB, %.1f MiB allocated: %v", s.name, float64(peak)/mib, float64(total)/mib, err)
		isBomb(s.name, err)
		if peak > bound {
			t.Errorf("bomb, %s: peak heap +%d bytes, over the %d-byte bound", s.name, peak, bound)
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != bomb {
			t.Errorf("a refused export left a file behind: %s", p)
		}
		return nil
	})

	// The same entries uncompressed: 1.2 MB, under every byte limit.
	plain := filepath.Join(dir, "plain.json")
	writeEmptyOps(t, plain, n, false)
	var v *View
	var err error
	peak, total := peakHeap(func() { v, err = OpenView(plain) })
	t.Logf("plain %d {}: open peak heap +%.1f MiB, %.1f MiB allocated", n, float64(peak)/mib, float64(total)/mib)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if peak > bound {
		t.Errorf("opening: peak heap +%d bytes, over the %d-byte bound", peak, bound)
	}
	if s := v.Summary(); s.Operations != n || s.Skips != 0 {
		t.Fatalf("summary: %d operations, %d skips", s.Operations, s.Skips)
	}
	var pg OperationPage
	peak, _ = peakHeap(func() { pg = v.Operations(Query{Offset: n - 10, Limit: 100}) })
	if pg.Total != n || len(pg.Rows) != 10 || pg.Index[9] != n-1 || peak > bound {
		t.Errorf("last page: total %d, %d rows, last index %v, peak +%d bytes", pg.Total, len(pg.Rows), pg.Index, peak)
	}
	peak, _ = peakHeap(func() { pg = v.Operations(Query{Text: "nobody", Limit: 100}) })
	if pg.Total != 0 || peak > bound {
		t.Errorf("search: total %d, peak +%d bytes", pg.Total, peak)
	}
	t.Logf("plain: searching %d operations from disk, peak heap +%.1f MiB", n, float64(peak)/mib)
	// A report past the comparison's count bound is refused at once, before either side is read:
	// the spools below count more entries than maxCompareEntries but hold none to read.
	for _, over := range []*View{
		{Report: &Report{}, ops: &spool{n: maxCompareEntries + 1}, skips: &spool{}},
		{Report: &Report{}, ops: &spool{}, skips: &spool{n: maxCompareEntries + 1}},
	} {
		for _, pair := range [][2]*View{{over, v}, {v, over}} {
			peak, _ = peakHeap(func() { _, err = DiffViews(pair[0], pair[1]) })
			if apperr.CodeOf(err) != apperr.ReportTooLarge || !strings.Contains(err.Error(), "cannot be compared") || peak > bound {
				t.Errorf("compare past the bound: %v, peak +%d bytes", err, peak)
			}
		}
	}
	// The count limits: fewer operations allowed than the file holds, and entries inside one.
	lim := DefaultLimits
	lim.MaxOperations = 1000 // any count under the file's: the refusal comes at the 1,001st
	peak, _ = peakHeap(func() { _, err = OpenViewLimits(plain, lim) })
	if e := apperr.As(err); e == nil || e.Code != apperr.ReportTooLarge || !strings.Contains(e.Message, "more than 1000 operations") || peak > bound {
		t.Errorf("count limit: %v, peak +%d bytes", err, peak)
	}
	deep := filepath.Join(dir, "deep.json")
	chain := strings.Repeat(`"g",`, DefaultLimits.MaxItems) + `"g"`
	os.WriteFile(deep, []byte(fmt.Sprintf(`{"schema":%q,"version":%d,"operations":[{"action":"add_member","chain":[%s]}]}`, SchemaName, SchemaVersion, chain)), 0o600)
	if _, err := OpenView(deep); apperr.CodeOf(err) != apperr.ReportTooLarge || !strings.Contains(err.Error(), "more than 10000 groups") {
		t.Errorf("a chain past MaxItems: %v", err)
	}
}

// Pages of a view opened from a file are the pages of the same report held in memory: the
// spool keeps every field, filters by its codes and by text alike.
func TestIssue14_3_FileViewPagesAsTheReportInMemory(t *testing.T) {
	r := sampleReport()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json.gz")
	if _, err := ExportReport(r, ExportOptions{Format: "json", Gzip: true, Out: path}); err != nil {
		t.Fatal(err)
	}
	fv, err := OpenView(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fv.Close()
	l, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mv := NewView(l.Report, &l.Info)
	if a, b := js(fv.Summary()), js(mv.Summary()); a != b {
		t.Errorf("summary differs:\nfile   %s\nmemory %s", a, b)
	}
	for _, q := range []Query{{}, {Limit: 2, Offset: 1}, {Actions: []Action{AddMember}}, {Results: []Result{ResultFailed}},
		{ObjectTypes: []string{"group"}}, {Text: "ZOË"}, {Text: "eng add"}, {Actions: []Action{"made_up"}}} {
		a, b := fv.Operations(q), mv.Operations(q)
		if js(a) != js(b) {
			t.Errorf("%+v:\nfile   %s\nmemory %s", q, js(a), js(b))
		}
		s1, s2 := fv.Skips(q), mv.Skips(q)
		if js(s1) != js(s2) {
			t.Errorf("skips %+v:\nfile   %+v\nmemory %+v", q, s1, s2)
		}
	}
	for i := -1; i <= len(r.Operations); i++ {
		a, oka := fv.Operation(i)
		b, okb := mv.Operation(i)
		if oka != okb || js(a) != js(b) {
			t.Errorf("operation %d: %+v %v / %+v %v", i, a, oka, b, okb)
		}
	}
	// And comparing two file views is comparing the reports.
	r2 := sampleReport()
	r2.Operations = r2.Operations[1:]
	r2.Operations[0].Result = ResultFailed
	path2 := filepath.Join(dir, "r2.json")
	if _, err := ExportReport(r2, ExportOptions{Format: "json", Out: path2}); err != nil {
		t.Fatal(err)
	}
	fv2, err := OpenView(path2)
	if err != nil {
		t.Fatal(err)
	}
	defer fv2.Close()
	got, err := DiffViews(fv, fv2)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := js(got), js(Diff(r, r2)); a != b || got.Totals.Removed == 0 {
		t.Errorf("file comparison differs:\nfile   %s\nmemory %s", a, b)
	}
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
