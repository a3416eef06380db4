package engine

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/idpsync/idpsync/internal/directory"
)

type maxWriter struct {
	w   io.Writer
	max int
}

func (m *maxWriter) Write(p []byte) (int, error) {
	m.max = max(m.max, len(p))
	return m.w.Write(p)
}

// The stored form gives back the snapshot it was made from: members that are users, groups,
// ids of neither (a member whose object the read did not return), other types with their
// OData type; and a decoded membership's id is its user's own string, not a copy.
func TestStoredSnapshotRoundTrip(t *testing.T) {
	s := memTenant()
	s.Members["gOps"] = append(s.Members["gOps"], directory.Member{ID: "dev1", Kind: directory.MemberOther, ODataType: "#microsoft.graph.device"},
		directory.Member{ID: "uGone", Kind: directory.MemberUser}, directory.Member{ID: "gGone", Kind: directory.MemberGroup})
	s.Members["gMissing"] = []directory.Member{{ID: "u01", Kind: directory.MemberUser}, {ID: "dev1", Kind: directory.MemberOther, ODataType: "#microsoft.graph.device"}}
	for i := range 3 * snapChunk { // more than one chunk of users and of memberships
		id := fmt.Sprintf("x%06d", i)
		s.Users = append(s.Users, directory.User{ID: id, Mail: id + "@contoso.com"})
		s.Members["gSales"] = append(s.Members["gSales"], directory.Member{ID: id, Kind: directory.MemberUser})
	}
	var buf bytes.Buffer
	mw := &maxWriter{w: &buf}
	if err := writeSnapshot(gob.NewEncoder(mw), savedSnapshot{Version: 4, SettingsHash: "h"}, s); err != nil {
		t.Fatal(err)
	}
	size := buf.Len()
	// gob holds each message whole while it encodes or decodes it: no message may be the
	// snapshot (the users alone are ~1.5 MB here, a chunk of them a third).
	if mw.max > size/2 {
		t.Fatalf("a gob message of %d bytes in a file of %d", mw.max, size)
	}
	dec := gob.NewDecoder(&buf)
	var h savedSnapshot
	if err := dec.Decode(&h); err != nil {
		t.Fatal(err)
	}
	got, err := readSnapshot(dec, &h)
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("%d of %d bytes left unread", buf.Len(), size)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip:\ngot  %+v\nwant %+v", got, s)
	}
	var u01 *directory.User
	for i := range got.Users {
		if got.Users[i].ID == "u01" {
			u01 = &got.Users[i]
		}
	}
	for _, m := range got.Members["gEng"] {
		if m.ID == "u01" && unsafe.StringData(m.ID) != unsafe.StringData(u01.ID) {
			t.Fatal("the member id u01 is a copy of the user's id")
		}
	}
}

// ApplyDelta merges the changed users into a snapshot in id order; the result must be what the
// map of every user gave (the path a snapshot out of order still takes): the last state of a
// user changed twice, new users in place, removed users gone even when also changed.
func TestApplyUsersMergeIsTheMapsResult(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		var prev []directory.User
		for i := range rng.IntN(40) {
			prev = append(prev, directory.User{ID: fmt.Sprintf("u%03d", 2*i), DisplayName: "old"})
		}
		d := &directory.Delta{}
		for range rng.IntN(12) {
			d.Users = append(d.Users, directory.User{ID: fmt.Sprintf("u%03d", rng.IntN(90)), DisplayName: fmt.Sprint("new", rng.IntN(5))})
		}
		for range rng.IntN(6) {
			d.RemovedUsers = append(d.RemovedUsers, fmt.Sprintf("u%03d", rng.IntN(90)))
		}
		merged := applyUsers(prev, d)
		shuffled := slices.Clone(prev)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		shuffled = append(shuffled, shuffled...) // and not strictly ordered even when shuffled back
		byMap := applyUsers(shuffled, d)
		if len(merged) != len(byMap) || (len(merged) > 0 && !reflect.DeepEqual(merged, byMap)) {
			t.Fatalf("seed %d: merged %v\nby map %v", seed, merged, byMap)
		}
	}
}
