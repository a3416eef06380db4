package cli

import (
	"testing"

	"github.com/idpsync/idpsync/internal/backend"
)

// Two Entra groups may share a display name: --group by name then picks neither, and the id
// picks exactly one.
func TestFindConflictByNameOnlyWhenUnique(t *testing.T) {
	cs := []backend.Conflict{{GroupEntraID: "g1", DisplayName: "Sales"}, {GroupEntraID: "g2", DisplayName: " SALES "}, {GroupEntraID: "g3", DisplayName: "Ünïcode"}}
	if _, ok := findConflict(cs, "sales"); ok || sameNamed(cs, "sales") != 2 {
		t.Fatalf("an ambiguous name matched")
	}
	if c, ok := findConflict(cs, "g2"); !ok || c.GroupEntraID != "g2" {
		t.Fatalf("by id: %+v %v", c, ok)
	}
	if c, ok := findConflict(cs, "ÜNÏCODE"); !ok || c.GroupEntraID != "g3" {
		t.Fatalf("by name in another case: %+v %v", c, ok)
	}
}
