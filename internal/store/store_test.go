package store

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

func open(t *testing.T, home string) *Store {
	t.Helper()
	s, err := Open(context.Background(), home)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// withDirectory opens a fresh store holding one directory, d1, named name.
func withDirectory(t *testing.T, name string) (*Store, Directory) {
	t.Helper()
	s := open(t, t.TempDir())
	d := Directory{ID: "d1", Name: name, Cloud: "global", ClientID: "c", SCIMBaseURL: "https://api.atlassian.com/scim/directory/x"}
	if err := s.CreateDirectory(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return s, d
}

func TestMigrateTwiceAndIntegrity(t *testing.T) {
	home := t.TempDir()
	s := open(t, home)
	ctx := context.Background()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != 4 {
		t.Fatalf("version %d, %v", v, err)
	}
	s.Close()
	s2 := open(t, home) // re-opening must not re-run migrations
	if err := s2.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s2.DB().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q %v", mode, err)
	}
}

// The SCIM rate a run learned is kept per directory and goes with it.
func TestLearnedSCIMRatePerDirectory(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := s.CreateDirectory(ctx, Directory{ID: id, Name: id, Cloud: "global", ClientID: "c", SCIMBaseURL: "https://api.atlassian.com/scim/directory/" + id}); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := s.LearnedSCIMRate(ctx, "a"); err != nil || r != 0 {
		t.Fatalf("nothing learned yet: %v %v", r, err)
	}
	for _, step := range []struct {
		id   string
		rate float64
	}{{"a", 180}, {"b", 40}, {"a", 0}, {"a", 210.5}} {
		if err := s.SetLearnedSCIMRate(ctx, step.id, step.rate); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := s.LearnedSCIMRate(ctx, "a"); r != 210.5 {
		t.Fatalf("a learned %v, want 210.5 (the latest; 0 is no lesson)", r)
	}
	if r, _ := s.LearnedSCIMRate(ctx, "b"); r != 40 {
		t.Fatalf("b learned %v, want 40", r)
	}
	if err := s.DeleteDirectory(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM scim_pacing WHERE directory_id='a'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a's rate outlived it: %d %v", n, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	home := t.TempDir()
	s := open(t, home)
	if _, err := s.DB().Exec(`INSERT INTO schema_version (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), home)
	if apperr.CodeOf(err) != apperr.StoreCorrupt {
		t.Fatalf("want store_corrupt, got %v", err)
	}
}

func TestDirectoriesSettingsCascade(t *testing.T) {
	s, d := withDirectory(t, "Contoso")
	ctx := context.Background()
	d2 := d
	d2.ID = "d2"
	d2.Name = "contoso"
	if err := s.CreateDirectory(ctx, d2); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatalf("duplicate name: %v", err)
	}
	got, err := s.DirectoryByName(ctx, "CONTOSO")
	if err != nil || got.ID != "d1" || got.Created.IsZero() {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := s.GetDirectory(ctx, "nope"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("want not_found, got %v", err)
	}
	if err := s.SaveSettings(ctx, "d1", map[string]any{"domainMode": "all"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMappings(ctx, "d1", []Mapping{{Kind: "user", EntraID: "e1", SCIMID: "s1", Managed: true}, {Kind: "group", EntraID: "g1", SCIMID: "sg1"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMappings(ctx, "d1", []Mapping{{Kind: "group", EntraID: "g1"}}); err != nil {
		t.Fatal(err)
	}
	ms, _ := s.Mappings(ctx, "d1")
	if len(ms) != 1 || ms[0].SCIMID != "s1" || !ms[0].Managed {
		t.Fatalf("mappings %+v", ms)
	}
	if err := s.SetStandingConfirmation(ctx, "d1", Confirmation{TenantID: "t", Domains: []string{"a.com", "b.com"}, Account: "admin@a.com", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, _ := s.StandingConfirmation(ctx, "d1")
	if c == nil || strings.Join(c.Domains, ",") != "a.com,b.com" {
		t.Fatalf("confirmation %+v", c)
	}
	if err := s.PutRun(ctx, Run{ID: "r1", DirectoryID: "d1", Kind: "apply", Status: "running", Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// The store keeps the states it is given (the engine defines them) and refuses an entry
	// without one instead of choosing a value for it.
	if err := s.JournalAdd(ctx, "r1", []Entry{{Seq: 1, Op: []byte(`{}`)}}); apperr.CodeOf(err) != apperr.Internal || !strings.Contains(err.Error(), "no state") {
		t.Fatalf("an entry without a state: %v", err)
	}
	if err := s.JournalAdd(ctx, "r1", []Entry{{Seq: 1, Op: []byte(`{}`), State: "waiting"}, {Seq: 2, Op: []byte(`{}`), State: "waiting"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalMark(ctx, "r1", []Entry{{Seq: 2}}); err == nil {
		t.Fatal("a mark without a state was kept")
	}
	if err := s.JournalMark(ctx, "r1", []Entry{{Seq: 1, State: "finished", Result: "x"}}); err != nil {
		t.Fatal(err)
	}
	pend, _ := s.Journal(ctx, "r1", "waiting")
	if len(pend) != 1 || pend[0].Seq != 2 || pend[0].State != "waiting" {
		t.Fatalf("waiting %+v", pend)
	}
	if fin, _ := s.Journal(ctx, "r1", "finished"); len(fin) != 1 || fin[0].Seq != 1 || fin[0].Result != "x" {
		t.Fatalf("finished %+v", fin)
	}
	if err := s.DeleteDirectory(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"settings", "mappings", "runs", "journal", "confirmations"} {
		var n int
		s.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n)
		if n != 0 {
			t.Errorf("%s keeps %d rows after the directory was deleted", table, n)
		}
	}
}

func TestLockRefusesSecondSync(t *testing.T) {
	home := t.TempDir()
	s := open(t, home)
	other := open(t, home) // a second connection, as the GUI and a headless run would have
	ctx := context.Background()
	l, err := s.LockDirectory(ctx, "d1", "apply")
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.LockDirectory(ctx, "d1", "apply")
	if apperr.CodeOf(err) != apperr.SyncLocked || !strings.Contains(err.Error(), "process ") {
		t.Fatalf("want sync_locked naming the holder, got %v", err)
	}
	if l2, err := other.LockDirectory(ctx, "d2", "apply"); err != nil {
		t.Fatalf("another directory must not be locked: %v", err)
	} else {
		l2.Unlock()
	}
	l.Unlock()
	l.Unlock()
	l3, err := other.LockDirectory(ctx, "d1", "apply")
	if err != nil {
		t.Fatal(err)
	}
	l3.Unlock()
}

// TestLockReleasedWhenHolderDies kills a child process holding the lock with SIGKILL: the kernel
// releases the file lock, so the directory is free again without waiting for a lease.
func TestLockReleasedWhenHolderDies(t *testing.T) {
	if home := os.Getenv("IDPSYNC_LOCK_CHILD"); home != "" {
		s, err := Open(context.Background(), home)
		if err != nil {
			os.Exit(3)
		}
		if _, err := s.LockDirectory(context.Background(), "d1", "apply"); err != nil {
			os.Exit(4)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	home := t.TempDir()
	s := open(t, home)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockReleasedWhenHolderDies$")
	cmd.Env = append(os.Environ(), "IDPSYNC_LOCK_CHILD="+home)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("child: %q %v", buf, err)
	}
	if _, err := s.LockDirectory(context.Background(), "d1", "apply"); apperr.CodeOf(err) != apperr.SyncLocked {
		t.Fatalf("child holds the lock, want sync_locked, got %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := s.LockDirectory(context.Background(), "d1", "apply")
	if err != nil {
		t.Fatalf("lock not released by the dead holder: %v", err)
	}
	l.Unlock()
	if err := s.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Issue 16 point 7: a directory's endpoint overrides survive a reopen and an update.
func TestDirectoryEndpointsRoundTrip(t *testing.T) {
	home := t.TempDir()
	s := open(t, home)
	ctx := context.Background()
	d := Directory{ID: "d1", Name: "Contoso", Cloud: "global", ClientID: "c", SCIMBaseURL: "https://api.atlassian.com/scim/directory/x",
		GraphURL: "https://graph.example/v1.0", AuthorityURL: "https://login.example", OrgURL: "https://org.example"}
	if err := s.CreateDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, home)
	got, err := s.GetDirectory(ctx, "d1")
	if err != nil || got.GraphURL != d.GraphURL || got.AuthorityURL != d.AuthorityURL || got.OrgURL != d.OrgURL {
		t.Fatalf("%+v %v", got, err)
	}
	got.GraphURL, got.OrgURL = "", "https://org2.example"
	if err := s.UpdateDirectory(ctx, got); err != nil {
		t.Fatal(err)
	}
	ds, err := s.ListDirectories(ctx)
	if err != nil || len(ds) != 1 || ds[0].GraphURL != "" || ds[0].AuthorityURL != d.AuthorityURL || ds[0].OrgURL != "https://org2.example" {
		t.Fatalf("%+v %v", ds, err)
	}
}

// Issue 16: directory names are one name in any case, also outside ASCII (SQLite's NOCASE
// folds only A–Z): the second add is refused and the lookup finds the first.
func TestDirectoryNamesFoldUnicodeCase(t *testing.T) {
	s, d := withDirectory(t, "Contoso Ünïcode")
	ctx := context.Background()
	d2 := d
	d2.ID, d2.Name = "d2", "CONTOSO ÜNÏCODE"
	if err := s.CreateDirectory(ctx, d2); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatalf("second add in other case: %v", err)
	}
	got, err := s.DirectoryByName(ctx, "contoso ünïcode")
	if err != nil || got.ID != "d1" {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	d3 := d
	d3.ID, d3.Name = "d3", "Other"
	if err := s.CreateDirectory(ctx, d3); err != nil {
		t.Fatal(err)
	}
	d3.Name = "CONTOSO ÜNÏCODE"
	if err := s.UpdateDirectory(ctx, d3); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Fatalf("rename onto another name: %v", err)
	}
	d.Name = "CONTOSO ÜNÏCODE" // renaming a directory to its own name in another case is fine
	if err := s.UpdateDirectory(ctx, d); err != nil {
		t.Fatal(err)
	}
}
