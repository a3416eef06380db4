package tenant

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/idpsync/idpsync/internal/directory"
)

func TestGenerateIsDeterministicAndCoversEdgeCases(t *testing.T) {
	spec := Spec{Seed: 7, Users: 400, Groups: 40, Depth: 4, OtherMembers: 6, LargeGroup: 300, CaseTwins: 2}
	a, b := Generate(spec).Snapshot(), Generate(spec).Snapshot()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different tenants")
	}
	if c := Generate(Spec{Seed: 8, Users: 400, Groups: 40}).Snapshot(); c.Tenant.ID == a.Tenant.ID {
		t.Fatal("another seed gave the same tenant id")
	}
	if len(a.Users) != 400 || len(a.Groups) != 40 {
		t.Fatalf("sizes %d users %d groups", len(a.Users), len(a.Groups))
	}
	var guests, disabled, noMail, rtl int
	mails := map[string][]string{}
	for _, u := range a.Users {
		if u.IsExternal() && strings.Contains(u.UserPrincipalName, "#EXT#") && u.UserType == "Guest" {
			guests++
		}
		if !u.AccountEnabled {
			disabled++
		}
		if u.Mail == "" {
			noMail++
		} else {
			mails[strings.ToLower(u.Mail)] = append(mails[strings.ToLower(u.Mail)], u.Mail)
		}
		for _, r := range u.DisplayName {
			if unicode.In(r, unicode.Arabic, unicode.Hebrew) {
				rtl++
				break
			}
		}
	}
	twins := 0
	for _, ms := range mails {
		if len(ms) == 2 && ms[0] != ms[1] {
			twins++
		}
	}
	if guests == 0 || disabled == 0 || noMail == 0 || rtl == 0 || twins == 0 {
		t.Fatalf("missing edge cases: guests %d disabled %d noMail %d rtl %d caseTwins %d", guests, disabled, noMail, rtl, twins)
	}
	var unverified bool
	for _, d := range a.Domains {
		unverified = unverified || !d.IsVerified
	}
	if !unverified || a.Tenant.InitialDomain == "" || a.Tenant.DefaultDomain == "" {
		t.Fatalf("domains %+v tenant %+v", a.Domains, a.Tenant)
	}
	others := map[string]bool{}
	maxMembers := 0
	for _, ms := range a.Members {
		maxMembers = max(maxMembers, len(ms))
		for _, m := range ms {
			if m.Kind == directory.MemberOther {
				others[m.ODataType] = true
			}
		}
	}
	if len(others) != 3 {
		t.Fatalf("other member types %v", others)
	}
	if maxMembers < 300 {
		t.Fatalf("large group has %d members", maxMembers)
	}
	// A cycle: some group is its own transitive subgroup.
	f := directory.Flatten(a)
	cyclic := false
	for _, g := range f.Groups() {
		for _, p := range f.Parents(g) {
			cyclic = cyclic || slices.Contains(f.Subgroups(g), p)
		}
	}
	if !cyclic {
		t.Fatal("no nesting cycle generated")
	}
}

func TestMutateMatchesDelta(t *testing.T) {
	tn := Generate(Spec{Seed: 3, Users: 500, Groups: 30, Depth: 3})
	before := tn.Version()
	ch := tn.Mutate(0.2, 99)
	if ch.From != before || ch.To != tn.Version() {
		t.Fatalf("versions %d→%d, tenant %d→%d", ch.From, ch.To, before, tn.Version())
	}
	if len(ch.AddedUsers) == 0 || len(ch.UpdatedUsers) == 0 || len(ch.RemovedUsers) == 0 || len(ch.MembersAdded) == 0 ||
		len(ch.MembersRemoved) == 0 || len(ch.RenamedUsers) == 0 || len(ch.DisabledUsers) == 0 {
		t.Fatalf("a 20%% mutation missed a kind of change: %+v", ch)
	}
	users, _ := tn.UserDelta(before)
	var changed []string
	removed := map[string]string{}
	for _, it := range users {
		if it.Removed != "" {
			removed[it.User.ID] = it.Removed
		} else {
			changed = append(changed, it.User.ID)
		}
	}
	want := append(slices.Clone(ch.AddedUsers), ch.UpdatedUsers...)
	slices.Sort(want)
	if !slices.Equal(changed, want) || !reflect.DeepEqual(removed, ch.RemovedUsers) {
		t.Fatalf("users delta %v removed %v, want %v removed %v", changed, removed, want, ch.RemovedUsers)
	}
	groups, _ := tn.GroupDelta(before)
	var added, gone []directory.MemberEdge
	for _, g := range groups {
		for _, m := range g.Members {
			e := directory.MemberEdge{GroupID: g.Group.ID, Member: m.Member}
			if m.Removed {
				gone = append(gone, e)
			} else {
				added = append(added, e)
			}
		}
	}
	if !sameEdges(added, ch.MembersAdded) || !sameEdges(gone, ch.MembersRemoved) {
		t.Fatalf("members delta +%v -%v, want +%v -%v", added, gone, ch.MembersAdded, ch.MembersRemoved)
	}
	// Nothing changed since the newest version.
	if u, _ := tn.UserDelta(tn.Version()); len(u) != 0 {
		t.Fatalf("empty delta has %d users", len(u))
	}
	// The same seed mutates the same way.
	tn2 := Generate(Spec{Seed: 3, Users: 500, Groups: 30, Depth: 3})
	if ch2 := tn2.Mutate(0.2, 99); !reflect.DeepEqual(ch, ch2) || !reflect.DeepEqual(tn.Snapshot(), tn2.Snapshot()) {
		t.Fatal("Mutate is not reproducible")
	}
}

func sameEdges(a, b []directory.MemberEdge) bool {
	key := func(e directory.MemberEdge) string { return e.GroupID + "/" + e.Member.ID }
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i] = key(a[i])
	}
	for i := range b {
		kb[i] = key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}
