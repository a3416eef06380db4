package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
)

// An incremental run compares the current desired state with the prints saved beside the
// stored snapshot instead of scoping the stored snapshot again. Its plan must be exactly the
// plan of the old path, which re-scopes the stored snapshot (a version 1 file, without prints):
// a print that misses a change drops an operation, one that sees a change where there is none
// adds reads and operations. Both must also do what a full reconcile does. Each round changes the tenant at random, compares the two plans of
// the same state, then syncs, so that the next round starts from prints an incremental run saved.
func TestIncrementalPlanIsTheRescopedPlan(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			w := newWorld(t, memTenant())
			w.mustRun(true)
			for round := range 4 {
				for range 1 + rng.IntN(4) {
					w.src.edit(func(s *directory.Snapshot) { mutateTenant(s, rng, round) })
				}
				saved, err := w.engine().loadSnapshot()
				if err != nil || saved == nil || saved.Prints == nil {
					t.Fatalf("round %d: the stored snapshot has no prints (%v)", round, err)
				}
				withPrints := w.preview(false)
				restore := w.stripPrints(saved)
				rescoped := w.preview(false)
				restore() // the run below goes the prints' way and saves its own
				if withPrints.Full || rescoped.Full {
					t.Fatalf("round %d: a full plan (%v, %v)", round, withPrints.Full, rescoped.Full)
				}
				if a, b := withPrints.Operations(), rescoped.Operations(); !reflect.DeepEqual(a, b) {
					t.Fatalf("round %d: the plan from the prints differs from the re-scoped plan\nprints:   %v\nrescoped: %v", round, opKeys(withPrints), opKeys(rescoped))
				}
				if withPrints.Digest != rescoped.Digest {
					t.Fatalf("round %d: digests %s and %s", round, withPrints.Digest, rescoped.Digest)
				}
				// And what a full reconcile of the same state does, which uses no prints: the
				// organization holds the previous round's desired state exactly (checkExact).
				if full := w.preview(true); !slices.Equal(opKeys(withPrints), opKeys(full)) {
					t.Fatalf("round %d: the incremental plan differs from the full reconcile's\nincremental: %v\nfull:        %v", round, opKeys(withPrints), opKeys(full))
				}
				w.mustRun(false)
				w.checkExact()
			}
		})
	}
}

// stripPrints rewrites the stored snapshot as a version 1 file, which has no prints; restore
// puts the file with prints back.
func (w *world) stripPrints(s *savedSnapshot) (restore func()) {
	w.t.Helper()
	path := w.engine().snapshotPath()
	orig, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx := context.Background()
	ds, _ := w.st.DeltaState(ctx, memDir)
	origDS := *ds
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := gob.NewEncoder(zw).Encode(savedSnapshot{Version: 1, SettingsHash: s.SettingsHash, Snapshot: s.Snapshot}); err != nil {
		w.t.Fatal(err)
	}
	_ = zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		w.t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	stripped := origDS
	stripped.SnapshotDigest = hex.EncodeToString(sum[:])
	_ = w.st.SetDeltaState(ctx, memDir, &stripped)
	return func() {
		if err := os.WriteFile(path, orig, 0o600); err != nil {
			w.t.Fatal(err)
		}
		_ = w.st.SetDeltaState(ctx, memDir, &origDS)
	}
}

// mutateTenant makes one random change an incremental run must see: an attribute, an account
// enabled or disabled, a membership moved, a user added or deleted, a group renamed, added,
// nested or deleted.
func mutateTenant(s *directory.Snapshot, rng *rand.Rand, round int) {
	gids := make([]string, 0, len(s.Groups))
	for _, g := range s.Groups {
		gids = append(gids, g.ID)
	}
	slices.Sort(gids)
	u := &s.Users[rng.IntN(len(s.Users))]
	g := gids[rng.IntN(len(gids))]
	fresh := fmt.Sprintf("r%d%03d", round, rng.IntN(1000))
	switch rng.IntN(8) {
	case 0:
		u.Department = "Dept " + fresh
	case 1:
		u.AccountEnabled = !u.AccountEnabled
	case 2: // moved from every group to g
		for k, ms := range s.Members {
			s.Members[k] = slices.DeleteFunc(ms, func(m directory.Member) bool { return m.ID == u.ID })
		}
		s.Members[g] = append(s.Members[g], directory.Member{ID: u.ID, Kind: directory.MemberUser})
	case 3:
		id := "u" + fresh
		if slices.ContainsFunc(s.Users, func(x directory.User) bool { return x.ID == id }) {
			return
		}
		s.Users = append(s.Users, directory.User{ID: id, Mail: id + "@contoso.com", UserPrincipalName: id + "@contoso.onmicrosoft.com",
			DisplayName: "User " + id, AccountEnabled: true, UserType: "Member"})
		s.Members[g] = append(s.Members[g], directory.Member{ID: id, Kind: directory.MemberUser})
	case 4:
		if len(s.Users) > 4 {
			removeUser(s, u.ID)
		}
	case 5:
		for i := range s.Groups {
			if s.Groups[i].ID == g {
				s.Groups[i].DisplayName = "Group " + fresh
			}
		}
	case 6: // a new group holding g and a user
		id := "g" + fresh
		if slices.ContainsFunc(s.Groups, func(x directory.Group) bool { return x.ID == id }) {
			return
		}
		s.Groups = append(s.Groups, directory.Group{ID: id, DisplayName: "Team " + fresh})
		s.Members[id] = []directory.Member{{ID: g, Kind: directory.MemberGroup}, {ID: u.ID, Kind: directory.MemberUser}}
	case 7:
		if len(s.Groups) > 2 {
			s.Groups = slices.DeleteFunc(s.Groups, func(x directory.Group) bool { return x.ID == g })
			delete(s.Members, g)
			for k, ms := range s.Members {
				s.Members[k] = slices.DeleteFunc(ms, func(m directory.Member) bool { return m.ID == g })
			}
		}
	}
}
