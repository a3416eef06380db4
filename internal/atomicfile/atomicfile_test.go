package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// names lists dir, so a test sees any temporary file left behind.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteFileReplacesAndLeavesOnlyTheTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("content %q", b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"state.json"}) {
		t.Fatalf("folder holds %v", got)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
}

func TestFailedFillKeepsTheOldFileAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := Write(path, 0o600, func(w io.Writer) error {
		if _, err := w.Write([]byte("half of a new")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("content %q", b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"report.json"}) {
		t.Fatalf("folder holds %v", got)
	}
}

func TestFailedRenameLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	// A non-empty folder under the target's name: the rename over it fails on every OS.
	path := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("x"), 0o600); err == nil {
		t.Fatal("a rename over a folder succeeded")
	}
	if got := names(t, dir); !slices.Equal(got, []string{"taken"}) {
		t.Fatalf("folder holds %v", got)
	}
}

func TestCreateInAMissingFolderFails(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "f"), 0o600); err == nil {
		t.Fatal("created a file in a missing folder")
	}
}

func TestAbortAndCommitAreOnce(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "a"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: keeps the file
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second commit: %v", err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("folder holds %v", got)
	}
	g, err := Create(filepath.Join(dir, "b"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	g.Abort()
	if got := names(t, dir); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after abort the folder holds %v", got)
	}
}
