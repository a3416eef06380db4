package adapter_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/adapter"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/store"
)

// The engine's state through the adapter round-trips in the SQLite store: what the engine
// writes in its own types is what it reads back. (The SCIM and organization wrappers are driven
// against the emulators by internal/reliability's engine tests.)
func TestStoreRoundTripsTheEnginesState(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "d1")
	var s engine.State = adapter.Store{Store: st}

	maps := []engine.Mapping{{Kind: "user", EntraID: "u1", SCIMID: "s1", Managed: true, Hash: "h"}, {Kind: "group", EntraID: "g1", SCIMID: "sg1"}}
	if err := s.PutMappings(ctx, "d1", maps); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMappings(ctx, "d1", nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Mappings(ctx, "d1")
	slices.SortFunc(got, func(a, b engine.Mapping) int { return len(a.Kind) - len(b.Kind) })
	if err != nil || !slices.Equal(got, maps) {
		t.Fatalf("mappings %+v %v", got, err)
	}
	if err := s.PutMappings(ctx, "d1", []engine.Mapping{{Kind: "group", EntraID: "g1"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Mappings(ctx, "d1"); len(got) != 1 || got[0] != maps[0] {
		t.Fatalf("an empty SCIM id did not forget the mapping: %+v", got)
	}

	run := engine.Run{ID: "r1", DirectoryID: "d1", Kind: "apply", Status: "running", Started: time.Now().UTC().Truncate(time.Millisecond), PID: 7, Host: "h"}
	if err := s.PutRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(ctx, "d1", "running", 10)
	if err != nil || len(runs) != 1 || runs[0].ID != "r1" || runs[0].PID != 7 || !runs[0].Started.Equal(run.Started) {
		t.Fatalf("runs %+v %v", runs, err)
	}

	es := []engine.JournalEntry{{Seq: 1, Op: []byte(`{"seq":1}`), State: engine.JournalPending}, {Seq: 2, Op: []byte(`{"seq":2}`), State: engine.JournalPending}}
	if err := s.JournalAdd(ctx, "r1", slices.Values(es)); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalMark(ctx, "r1", []engine.JournalEntry{{Seq: 1, State: engine.JournalDone, Result: `{"result":"succeeded"}`}}); err != nil {
		t.Fatal(err)
	}
	if err := s.JournalMark(ctx, "r1", nil); err != nil {
		t.Fatal(err)
	}
	pend, err := s.Journal(ctx, "r1", engine.JournalPending)
	if err != nil || len(pend) != 1 || pend[0].Seq != 2 || string(pend[0].Op) != `{"seq":2}` {
		t.Fatalf("pending %+v %v", pend, err)
	}
	all, _ := s.Journal(ctx, "r1", "")
	if len(all) != 2 || all[0].State != engine.JournalDone || all[0].Result != `{"result":"succeeded"}` {
		t.Fatalf("journal %+v", all)
	}

	if d, err := s.DeltaState(ctx, "d1"); d != nil || err != nil {
		t.Fatalf("no delta state yet: %+v %v", d, err)
	}
	want := engine.DeltaState{UsersLink: "u", GroupsLink: "g", SnapshotDigest: "x", RunsSinceFull: 3}
	if err := s.SetDeltaState(ctx, "d1", &want); err != nil {
		t.Fatal(err)
	}
	if d, err := s.DeltaState(ctx, "d1"); err != nil || d == nil || d.UsersLink != "u" || d.GroupsLink != "g" || d.SnapshotDigest != "x" || d.RunsSinceFull != 3 {
		t.Fatalf("delta state %+v %v", d, err)
	}
	if err := s.SetDeltaState(ctx, "d1", nil); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DeltaState(ctx, "d1"); d != nil {
		t.Fatalf("a nil delta state was not cleared: %+v", d)
	}

	// The store's own methods stay reachable through the port: the engine records a group held
	// after a 409 with SetDecision.
	held, ok := s.(interface {
		SetDecision(ctx context.Context, dirID, groupEntraID, decision string) error
	})
	if !ok {
		t.Fatal("SetDecision is not reachable through the adapter")
	}
	if err := held.SetDecision(ctx, "d1", "g1", engine.DecisionHeld); err != nil {
		t.Fatal(err)
	}
	if dec, err := s.Decisions(ctx, "d1"); err != nil || dec["g1"] != engine.DecisionHeld {
		t.Fatalf("decisions %v %v", dec, err)
	}
}

// A directory's second run starts at the rate its first run learned, not at the default slow
// start; another directory's lesson is not taken.
func TestRunsStartFromTheDirectorysLearnedRate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "a", "b")
	first := atlassian.NewLimiter(adapter.LearnedPacing(ctx, st, "a", atlassian.LimiterConfig{}))
	if r := first.Stats().Rate; r != 50 {
		t.Fatalf("a first run starts at %v/s, want the default 50", r)
	}
	// The service's headers say 400 per second: the run learns it.
	first.Observe(atlassian.RateHeaders{Limit: 400, Remaining: 300, Reset: timeAt(1)}, false)
	first.Observe(atlassian.RateHeaders{Limit: 400, Remaining: 300, Reset: timeAt(2)}, false)
	second := atlassian.NewLimiter(adapter.LearnedPacing(ctx, st, "a", atlassian.LimiterConfig{}))
	if st := second.Stats(); st.Rate != 380 || st.Limit != 400 {
		t.Fatalf("a's second run: %+v, want 380/s under the learned 400/s", st)
	}
	if r := atlassian.NewLimiter(adapter.LearnedPacing(ctx, st, "b", atlassian.LimiterConfig{})).Stats().Rate; r != 50 {
		t.Fatalf("b took a's rate: %v/s", r)
	}
}

func timeAt(s int) time.Time { return time.Date(2026, 12, 3, 6, 0, s, 0, time.UTC) }

// openStore opens a store in a temporary home with the named directories, closed when t ends.
func openStore(t *testing.T, dirIDs ...string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, id := range dirIDs {
		if err := st.CreateDirectory(ctx, store.Directory{ID: id, Name: id, Cloud: "global", ClientID: "c", SCIMBaseURL: "https://api.atlassian.com/scim/directory/" + id}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}
