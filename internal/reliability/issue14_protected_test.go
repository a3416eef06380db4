package reliability

import (
	"strings"
	"testing"
	"time"

	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
)

// Issue 14 point 1, end to end: a synced group is protected, then renamed in Entra to a spelling
// the matcher folds to its Atlassian name ("ſALES" for "Sales", U+017F) and emptied there. Full
// and incremental syncs then send Atlassian no request that names the group, its members stay,
// and the report says it is protected. Before the fix its members were removed.
func TestIssue14_1_ProtectedGroupRenamedWithUnicodeIsNeverWritten(t *testing.T) {
	ctx := ctxT(t, 2*time.Minute)
	spec := tenant.Spec{Seed: 114, Users: 80, Groups: 8}
	e := newEnv(t, envOpts{spec: spec, atl: atlemu.Options{}})
	e.mustRun(ctx, true)
	var gid, name string
	for _, g := range e.ten.Snapshot().Groups {
		if strings.HasPrefix(g.DisplayName, "Sales ") {
			gid, name = g.ID, g.DisplayName
		}
	}
	live, ok := e.a.State().GroupByName(name)
	if gid == "" || !ok || len(live.Members) == 0 {
		t.Fatalf("no synced Sales group with members (%q, %v, %d)", name, ok, len(live.Members))
	}
	s := e.settings
	s.ProtectedGroups = []string{name}
	e.settings = mustNorm(t, s)
	e.mustRun(ctx, false)
	renamed := "ſALES" + strings.TrimPrefix(name, "Sales")
	if !e.ten.RenameGroup(gid, renamed) {
		t.Fatal("rename failed")
	}
	writes := len(e.a.Writes())
	for _, full := range []bool{false, true} {
		r := e.run(ctx, full, true)
		if r.err != nil {
			t.Fatalf("full=%v: %v", full, r.err)
		}
		if reasonOfName(r, renamed) != engine.ReasonProtectedGroup {
			t.Errorf("full=%v: %q is not reported as protected", full, renamed)
		}
	}
	for _, w := range e.a.Writes()[writes:] {
		if strings.Contains(w.Path, live.ID) || strings.Contains(w.Body, live.ID) {
			t.Errorf("a write touched the protected group: %s %s %.200s", w.Method, w.Path, w.Body)
		}
	}
	if g, ok := e.a.State().GroupByName(name); !ok || len(g.Members) != len(live.Members) {
		t.Fatalf("the protected group changed: %d members, had %d", len(g.Members), len(live.Members))
	}
}
