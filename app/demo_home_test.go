package app

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/demomode"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/store"
)

// realHome makes the folder a real installation leaves: the store with one directory and that
// directory's sealed sign-in cache. It returns every file's bytes.
func realHome(t *testing.T, home string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDirectory(ctx, store.Directory{ID: "real1", Name: "Contoso production", Cloud: "global", ClientID: "c",
		SCIMBaseURL: "https://api.atlassian.com/scim/directory/0b1c"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := os.WriteFile(filepath.Join(home, "msal-real1.sealed"), []byte("sealed token cache of the real directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	_ = filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files[p], _ = os.ReadFile(p)
		}
		return nil
	})
	return files
}

// Issue 14 point 7: demo mode on a home that holds real directories uses its own folder and
// leaves the real one as it was: the screens list only the demo's directory, and every file of
// the real home (store, sealed sign-in cache) keeps its bytes. Opening the real home itself in
// demo mode is refused with a code.
func TestIssue14_07_DemoNeverOpensARealHome(t *testing.T) {
	defer failOnPanic(t)
	home := t.TempDir()
	before := realHome(t, home)
	s := New(demoOptions(home, true)) // the demo directory is set up and signed in at start
	s.env.attach(&screensUI{events: map[string]int{}})
	list := must(s.Directories.List())
	if len(list) != 1 || list[0].Name != demo.DirectoryName {
		t.Fatalf("demo mode lists %+v, want only %q", list, demo.DirectoryName)
	}
	b := must(s.core.backend())
	if b.Home() == home {
		t.Fatalf("the demo opened the real home %s", home)
	}
	if _, err := os.Stat(filepath.Join(b.Home(), backend.DemoMarker)); err != nil {
		t.Fatalf("the demo's folder %s is not marked as the demo's: %v", b.Home(), err)
	}
	s.core.close()
	for p, want := range before {
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s changed or vanished (%v)", p, err)
		}
	}

	// The backend itself refuses a real home in demo mode, before opening its store.
	env, err := demo.Start(context.Background(), demo.Options{Users: 20, Groups: 3, NoThrottle: true})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if _, err := backend.Open(context.Background(), demomode.BackendOptions(env, home, nil)); apperr.CodeOf(err) != apperr.InvalidInput || apperr.As(err).Action == "" {
		t.Fatalf("demo mode on the real home: %v, want invalid_input with an action", err)
	}
	for p, want := range before {
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s changed by the refused open (%v)", p, err)
		}
	}
}
