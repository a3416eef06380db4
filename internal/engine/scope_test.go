package engine

import (
	"slices"
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// fixture: two verified domains and one unverified; nested groups Eng ⊃ Backend ⊃ Core with a
// cycle Core → Eng, a separate Sales group, and users covering each scope rule.
func fixture() *directory.Snapshot {
	u := func(id, mail, upn string, enabled bool, typ string) directory.User {
		return directory.User{ID: id, Mail: mail, UserPrincipalName: upn, DisplayName: "User " + id, AccountEnabled: enabled, UserType: typ}
	}
	return &directory.Snapshot{
		Tenant: directory.Tenant{ID: "t1", DisplayName: "Contoso", InitialDomain: "contoso.onmicrosoft.com"},
		Domains: []directory.Domain{{Name: "contoso.com", IsVerified: true}, {Name: "eu.contoso.com", IsVerified: true},
			{Name: "unverified.com"}, {Name: "contoso.onmicrosoft.com", IsVerified: true, IsInitial: true}},
		Users: []directory.User{
			u("u1", "ann@contoso.com", "ann@contoso.onmicrosoft.com", true, "Member"),
			u("u2", "", "bob@eu.contoso.com", true, "Member"),                            // no mail: UPN is the userName
			u("u3", "cid@unverified.com", "cid@contoso.onmicrosoft.com", true, "Member"), // unverified domain
			u("u4", "dan@contoso.com", "dan@contoso.onmicrosoft.com", false, "Member"),   // disabled
			u("u5", "eve@gmail.com", "eve_gmail.com#EXT#@contoso.onmicrosoft.com", true, "Guest"),
			u("u6", "ANN@contoso.com", "ann2@contoso.onmicrosoft.com", true, "Member"), // same email as u1 by case
			u("u7", "", "noemail", true, "Member"),
			u("u8", "sam@contoso.com", "sam@contoso.onmicrosoft.com", true, "Member"), // only in Sales
		},
		Groups: []directory.Group{{ID: "gEng", DisplayName: "Eng"}, {ID: "gBack", DisplayName: "Backend"}, {ID: "gCore", DisplayName: "Core"},
			{ID: "gSales", DisplayName: "Sales"}, {ID: "gZdup", DisplayName: "sales"}, {ID: "gEmpty", DisplayName: "  "}},
		Members: map[string][]directory.Member{
			"gEng":   {{ID: "gBack", Kind: directory.MemberGroup}, {ID: "u1", Kind: directory.MemberUser}},
			"gBack":  {{ID: "gCore", Kind: directory.MemberGroup}, {ID: "u2", Kind: directory.MemberUser}, {ID: "sp1", Kind: directory.MemberOther, ODataType: "#microsoft.graph.servicePrincipal"}},
			"gCore":  {{ID: "gEng", Kind: directory.MemberGroup}, {ID: "u4", Kind: directory.MemberUser}, {ID: "u5", Kind: directory.MemberUser}, {ID: "u3", Kind: directory.MemberUser}},
			"gSales": {{ID: "u8", Kind: directory.MemberUser}},
		},
	}
}

func skipReason(d *Desired, id string) string {
	for _, s := range d.Skips {
		if s.Object.EntraID == id {
			return s.Reason
		}
	}
	return ""
}

func norm(t testing.TB, s Settings) Settings {
	t.Helper()
	n, err := s.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestScopeRules(t *testing.T) {
	all := DefaultSettings()
	specific := DefaultSettings()
	specific.DomainMode, specific.Domains = DomainsSpecific, []string{"Contoso.com", "unverified.com"}
	groups := DefaultSettings()
	groups.UserMode, groups.Groups = UsersGroups, []string{"gBack"}
	noGuests := DefaultSettings()
	noGuests.IncludeExternal = false
	cases := []struct {
		name    string
		s       Settings
		in      []string          // users in scope
		skipped map[string]string // user or group id → reason
		domains []string
		groups  []string
		members map[string][]string
	}{
		{name: "all verified domains", s: all, in: []string{"u1", "u2", "u4", "u5", "u8"},
			skipped: map[string]string{"u3": ReasonUnverifiedDomain, "u6": ReasonDuplicateEmail, "u7": ReasonNoEmail, "gZdup": ReasonDuplicateGroupName, "gEmpty": ReasonNoGroupName, "sp1": ReasonUnsupportedMember},
			domains: []string{"contoso.com", "contoso.onmicrosoft.com", "eu.contoso.com"},
			groups:  []string{"gBack", "gCore", "gEng", "gSales"},
			// nesting is flattened and the cycle terminates: everyone in Core is in Eng and Backend
			members: map[string][]string{"gEng": {"u1", "u2", "u4", "u5"}, "gCore": {"u1", "u2", "u4", "u5"}, "gSales": {"u8"}}},
		{name: "specific domains: only verified ones count", s: specific, in: []string{"u1", "u4", "u5", "u8"},
			skipped: map[string]string{"u2": ReasonDomainNotSelected, "u3": ReasonUnverifiedDomain},
			domains: []string{"contoso.com"}},
		{name: "specific groups bring nested subgroups and their transitive users", s: groups, in: []string{"u1", "u2", "u4", "u5"},
			skipped: map[string]string{"u8": ReasonOutsideSelectedGroups, "gSales": ReasonOutsideSelectedGroups},
			groups:  []string{"gBack", "gCore", "gEng"}},
		{name: "guests can be excluded", s: noGuests, in: []string{"u1", "u2", "u4", "u8"}, skipped: map[string]string{"u5": ReasonExternalExcluded}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Scope(fixture(), norm(t, c.s), nil)
			if got := sortedKeys(d.Users); !slices.Equal(got, c.in) {
				t.Errorf("users in scope %v, want %v", got, c.in)
			}
			for id, r := range c.skipped {
				if got := skipReason(d, id); got != r {
					t.Errorf("%s: reason %q, want %q", id, got, r)
				}
			}
			if c.domains != nil && !slices.Equal(d.Domains, c.domains) {
				t.Errorf("domains %v, want %v", d.Domains, c.domains)
			}
			if c.groups != nil && !slices.Equal(sortedKeys(d.Groups), c.groups) {
				t.Errorf("groups %v, want %v", sortedKeys(d.Groups), c.groups)
			}
			for g, want := range c.members {
				if got := d.Groups[g].Members; !slices.Equal(got, want) {
					t.Errorf("%s members %v, want %v", g, got, want)
				}
			}
			if d.Users["u4"] != nil && d.Users["u4"].SCIM.Active {
				t.Error("a disabled user must map to active=false")
			}
		})
	}
}

func TestScopeLimits(t *testing.T) {
	d, p := overGroup()
	if !d.OverLimit || skipReason(d, "gSales") != ReasonOverGroupLimit {
		t.Fatalf("a group over 35,000 users must be refused: overLimit=%v reason=%q", d.OverLimit, skipReason(d, "gSales"))
	}
	if len(p.Blocked) == 0 || p.Blocked[0].Code != "plan_limit_exceeded" {
		t.Fatalf("plan not blocked: %+v", p.Blocked)
	}
}

func TestSettingsNormalizeRefusesEmptySelections(t *testing.T) {
	for _, s := range []Settings{{DomainMode: DomainsSpecific}, {UserMode: UsersGroups}, {DomainMode: "some"}, {DeactivationMaxPercent: 120}} {
		if _, err := s.Normalize(); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	_ = report.CreateUser
}
