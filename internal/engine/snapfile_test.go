package engine

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"testing"
	"unsafe"

	"github.com/idpsync/idpsync/internal/directory"
)

// The stored form gives back the snapshot it was made from: members that are users, groups,
// ids of neither (a member whose object the read did not return), other types with their
// OData type; and a decoded membership's id is its user's own string, not a copy.
func TestStoredSnapshotRoundTrip(t *testing.T) {
	s := memTenant()
	s.Members["gOps"] = append(s.Members["gOps"], directory.Member{ID: "dev1", Kind: directory.MemberOther, ODataType: "#microsoft.graph.device"},
		directory.Member{ID: "uGone", Kind: directory.MemberUser}, directory.Member{ID: "gGone", Kind: directory.MemberGroup})
	s.Members["gMissing"] = []directory.Member{{ID: "u01", Kind: directory.MemberUser}, {ID: "dev1", Kind: directory.MemberOther, ODataType: "#microsoft.graph.device"}}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(compactSnapshot(s)); err != nil {
		t.Fatal(err)
	}
	var c storedSnapshot
	if err := gob.NewDecoder(&buf).Decode(&c); err != nil {
		t.Fatal(err)
	}
	got := c.snapshot()
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
