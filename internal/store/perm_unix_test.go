//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Issue 14 point 11: the store, its WAL and shared-memory files are private to the user (0600)
// and the home folder is 0700, whether the store is new or was made world-readable before.
// The umask is set to the common 022 so that the test does not pass on a machine whose umask
// already hides everything.
func TestIssue14_11_StoreWALSHMPrivateAndHomeTightened(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	check := func(when, home string) {
		t.Helper()
		st, err := os.Stat(home)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o700 {
			t.Errorf("%s: home folder mode %o, want 700", when, m)
		}
		for _, name := range []string{FileName, FileName + "-wal", FileName + "-shm"} {
			st, err := os.Stat(filepath.Join(home, name))
			if err != nil {
				t.Errorf("%s: %s: %v", when, name, err)
				continue
			}
			if m := st.Mode().Perm(); m != 0o600 {
				t.Errorf("%s: %s mode %o, want 600", when, name, m)
			}
		}
	}
	write := func(s *Store, id string) {
		t.Helper()
		if err := s.CreateDirectory(ctx, Directory{ID: id, Name: "Contoso " + id, Cloud: "global", ClientID: "c",
			SCIMBaseURL: "https://api.atlassian.com/scim/directory/x"}); err != nil {
			t.Fatal(err)
		}
	}

	// A new home (its parent as the OS makes it) and a new store, checked while it is open: the
	// WAL and shared-memory files exist only then.
	fresh := filepath.Join(t.TempDir(), "idpsync")
	s := open(t, fresh)
	write(s, "d1")
	check("new store", fresh)
	s.Close()

	// A home and files an earlier version left world-readable are tightened on the next open.
	for _, name := range []string{FileName, FileName + "-wal", FileName + "-shm"} {
		p := filepath.Join(fresh, name)
		if _, err := os.Stat(p); err != nil {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(fresh, 0o755); err != nil {
		t.Fatal(err)
	}
	s = open(t, fresh)
	write(s, "d2")
	check("existing world-readable store", fresh)
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM directories`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("after tightening: %d directories, %v (nothing may be lost)", n, err)
	}
}
