package engine

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/report"
)

// A report that cannot be put in place leaves nothing in the reports folder: the writer used to
// leave its NAME.json.tmp behind (and never fsynced what it renamed).
func TestReportFilesFailedWriteLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	info := RunInfo{RunID: "r1", DirectoryName: "D", Kind: report.KindApply, Started: time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)}
	// A non-empty folder where the report goes: the rename over it fails.
	taken := filepath.Join(dir, "20261203-050000-apply-r1.json")
	if err := os.MkdirAll(filepath.Join(taken, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	rep, path, err := ReportFiles{Dir: dir}.Write(info, nil, nil)
	if err == nil || path != "" || rep == nil || rep.RunID != "r1" {
		t.Fatalf("got %v %q %v", rep, path, err)
	}
	es, _ := os.ReadDir(dir)
	if len(es) != 1 || es[0].Name() != filepath.Base(taken) {
		t.Fatalf("the reports folder holds %v", es)
	}
	// And a write that succeeds leaves exactly the report.
	info.RunID = "r2"
	if _, path, err = (ReportFiles{Dir: dir}).Write(info, nil, nil); err != nil || filepath.Base(path) != "20261203-050000-apply-r2.json" {
		t.Fatalf("%q %v", path, err)
	}
	if es, _ = os.ReadDir(dir); len(es) != 2 {
		t.Fatalf("the reports folder holds %v", es)
	}
}
