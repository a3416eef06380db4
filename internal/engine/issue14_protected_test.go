package engine

import (
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
)

// Issue 14 point 1: a protected group stays untouched when Entra renames its group to a spelling
// the matcher folds to the protected Atlassian group (ſ U+017F, final sigma, Kelvin sign, any
// case, blanks), when the setting itself is spelled that way, and when Entra calls the group
// something else entirely. Before the fix, "ſales" matched the Atlassian "Sales" by mapping
// (EqualFold) but missed the lower-cased protected key, and members were written to it.
func TestIssue14_1_ProtectedGroupHoldsOnTheMatchedAtlassianGroupWhateverEntraCallsIt(t *testing.T) {
	cases := []struct {
		protected, atlassian, entra string
		renamed                     bool // Entra's name is another name: the group is retired (kept), a new one created
	}{
		{"Sales", "Sales", "ſales", false},
		{"Sales", "Sales", "ſALES", false},
		{"ſALES", "Sales", "sales", false},
		{"sales", "ſales", "SALES", false},
		{"Sales", "Sales", "  SALES ", false},
		{"ΟΔΟΣ", "ΟΔΟΣ", "οδος", false}, // final sigma folds to Σ
		{"οδος", "ΟΔΟΣ", "Οδοσ", false},
		{"Kiosk", "Kiosk", "\u212Aiosk", false}, // Kelvin sign
		{"\u212AIOSK", "kiosk", "KIOSK", false},
		{"Sales", "Sales", "Revenue", true},
	}
	for _, c := range cases {
		t.Run(c.protected+"/"+c.atlassian+"/"+c.entra, func(t *testing.T) {
			snap := &directory.Snapshot{
				Tenant:  directory.Tenant{ID: "t1", DisplayName: "Contoso", InitialDomain: "contoso.onmicrosoft.com"},
				Domains: []directory.Domain{{Name: "contoso.com", IsVerified: true}},
				Users: []directory.User{
					{ID: "u1", Mail: "ann@contoso.com", DisplayName: "Ann", AccountEnabled: true, UserType: "Member"},
					{ID: "u2", Mail: "bob@contoso.com", DisplayName: "Bob", AccountEnabled: true, UserType: "Member"},
				},
				Groups:  []directory.Group{{ID: "gSales", DisplayName: c.entra}},
				Members: map[string][]directory.Member{"gSales": {{ID: "u1", Kind: directory.MemberUser}, {ID: "u2", Kind: directory.MemberUser}}},
			}
			st := DefaultSettings()
			st.ProtectedGroups = []string{c.protected}
			st.DeleteOutOfScopeGroups = true // the harshest setting: a retired group would be deleted
			st = norm(t, st)
			d := Scope(snap, st, nil)
			live := &Live{
				Users: []User{
					{ID: "s-u1", ExternalID: "u1", UserName: "ann@contoso.com", DisplayName: "Ann", Active: true},
					{ID: "s-u2", ExternalID: "u2", UserName: "bob@contoso.com", DisplayName: "Bob", Active: true},
					{ID: "s-hand", UserName: "hand@contoso.com", DisplayName: "Made by hand", Active: true},
				},
				// The protected group holds one member added by hand, none of Entra's.
				Groups: []Group{{ID: "sg-sales", ExternalID: "gSales", DisplayName: c.atlassian, Members: []string{"s-hand"}}},
			}
			maps := []Mapping{{Kind: "user", EntraID: "u1", SCIMID: "s-u1", Managed: true}, {Kind: "user", EntraID: "u2", SCIMID: "s-u2", Managed: true},
				{Kind: "group", EntraID: "gSales", SCIMID: "sg-sales", Managed: true}}
			for _, withMappings := range []bool{true, false} {
				in := PlanInput{Desired: d, Live: live, Settings: st}
				if withMappings {
					in.Mappings = maps
				}
				p := Compute(in)
				for _, op := range p.Operations() {
					if op.SCIMID == "sg-sales" || (op.Group != nil && op.Group.SCIMID == "sg-sales") {
						t.Errorf("mappings %v: %s writes the protected group %q:\n%s", withMappings, op.Action, c.atlassian, desc(p))
					}
					if op.Object() == "group" && foldName(op.Name) == foldName(c.protected) {
						t.Errorf("mappings %v: %s of a group named like the protected one:\n%s", withMappings, op.Action, desc(p))
					}
				}
				if !c.renamed && skipReason(&Desired{Skips: p.Skips}, "gSales") != ReasonProtectedGroup {
					t.Errorf("mappings %v: the group is not reported as protected: %+v", withMappings, p.Skips)
				}
			}
		})
	}
	// The folding is the matcher's, no wider: a name that EqualFold keeps apart stays apart.
	for _, pair := range [][2]string{{"Sales", "Sale"}, {"SIR", "sır"}, {"Kiosk", "Kíosk"}} {
		if (foldName(pair[0]) == foldName(pair[1])) != (equalFoldTrim(pair[0], pair[1])) {
			t.Errorf("foldName(%q) vs foldName(%q) disagrees with EqualFold", pair[0], pair[1])
		}
	}
}

func equalFoldTrim(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
