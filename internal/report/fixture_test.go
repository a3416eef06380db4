package report

import (
	"fmt"
	"testing"
	"time"
)

// evilName is a display name crafted to break out of the HTML data element and run script.
const evilName = `</script><img src=x onerror=alert(1)><!-- Mallory`

var t0 = time.Date(2026, 11, 27, 1, 2, 3, 456000000, time.UTC)

// sampleReport is a small report touching every field, with hostile and non-ASCII values.
func sampleReport() *Report {
	group := &ObjectRef{Type: "group", Name: "Engineering", EntraID: "g-eng", AtlassianID: "a-g-eng"}
	r := &Report{
		Schema: SchemaName, Version: SchemaVersion, AppVersion: "1.2.3", RunID: "run-0001", Kind: KindApply,
		Status:    StatusPartial,
		Directory: DirectoryRef{ID: "dir-1", Name: "Contoso Entra"},
		Tenant:    TenantRef{ID: "11111111-2222-3333-4444-555555555555", Name: "Contoso Ltd", InitialDomain: "contoso.onmicrosoft.com"},
		Confirmed: Confirmation{TenantID: "11111111-2222-3333-4444-555555555555", Domains: []string{"contoso.com", "fabrikam.com"},
			PlanDigest: "sha256:abcd", Account: "admin@contoso.com", At: t0},
		Settings: Settings{DomainMode: "specific", Domains: []string{"contoso.com", "fabrikam.com"}, UserMode: "groups",
			Groups: []string{"g-eng"}, IncludeExternal: true, DeactivationMaxCount: 50, DeactivationMaxPercent: 5,
			ProtectedGroups: []string{"site-admins"}, Incremental: true},
		Started: t0,
		Ended:   t0.Add(93 * time.Second),
		Phases: []Phase{
			{Name: "read_tenant", Started: t0, Duration: 12 * time.Second, Requests: 40},
			{Name: "read_atlassian", Started: t0.Add(12 * time.Second), Duration: 20 * time.Second, Requests: 12},
			{Name: "plan", Started: t0.Add(32 * time.Second), Duration: 300 * time.Millisecond},
			{Name: "apply", Started: t0.Add(33 * time.Second), Duration: 60 * time.Second, Requests: 9},
		},
		Errors: []RunError{{Code: "atlassian_throttled", Message: "throttled 3 times", Action: "none needed"}},
		Operations: []Operation{
			{Seq: 1, Action: CreateGroup, Object: *group, Result: ResultSucceeded},
			{Seq: 2, Action: CreateUser, Object: ObjectRef{Type: "user", Name: "Zoë Ångström", Email: "zoe@contoso.com", EntraID: "u-1", AtlassianID: "a-1"},
				Changes: []Change{{Attribute: "displayName", Old: "", New: "Zoë Ångström"}, {Attribute: "title", Old: "", New: "=HYPERLINK(\"http://x\")"}},
				Result:  ResultSucceeded},
			{Seq: 3, Action: UpdateUser, Object: ObjectRef{Type: "user", Name: evilName, Email: "mallory@contoso.com", EntraID: "u-2", AtlassianID: "a-2"},
				Changes: []Change{{Attribute: "name.familyName", Old: "Old", New: "<b>New</b>"}, {Attribute: "phoneNumbers[type eq \"mobile\"].value", Old: "+1 555 0100", New: "+1 555 0199"}},
				Result:  ResultFailed, Code: "atlassian_rejected", Message: "400 from Atlassian for mallory@contoso.com: \u2028line\u2029sep"},
			{Seq: 4, Action: AddMember, Object: ObjectRef{Type: "user", Name: "Zoë Ångström", Email: "zoe@contoso.com", EntraID: "u-1", AtlassianID: "a-1"},
				Group: group, Chain: []string{"Engineering", "Platform", "SRE"}, Result: ResultSucceeded},
			{Seq: 5, Action: RemoveMember, Object: ObjectRef{Type: "user", Name: "Bob", Email: "bob@fabrikam.com", EntraID: "u-3", AtlassianID: "a-3"},
				Group: group, Reason: "left scope", Result: ResultSucceeded},
			{Seq: 6, Action: DeactivateUser, Object: ObjectRef{Type: "user", Name: "-2+3", Email: "@eve@contoso.com", EntraID: "u-4", AtlassianID: "a-4"},
				Reason: "disabled in Entra", Result: ResultSkipped, Message: "threshold"},
		},
		Skips: []Skip{
			{Object: ObjectRef{Type: "user", Name: "Carol", Email: "carol@unverified.example", EntraID: "u-5"}, Reason: "unverified_domain", Detail: "domain unverified.example is not verified in Entra"},
			{Object: ObjectRef{Type: "group", Name: "\tTabbed", EntraID: "g-x"}, Reason: "not_selected"},
		},
	}
	r.Counts = TallyCounts(r.Operations)
	return r
}

// genReport streams a synthetic run of users users, each with members/users memberships spread
// over groups groups, to the callbacks (nothing is held).
func genReport(users, memberships, groups int, op func(*Operation) error, sk func(*Skip) error) error {
	var o Operation
	for i := 0; i < groups; i++ {
		o = Operation{Seq: i + 1, Action: CreateGroup, Result: ResultSucceeded,
			Object: ObjectRef{Type: "group", Name: fmt.Sprintf("Group %05d", i), EntraID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), AtlassianID: fmt.Sprintf("g%011d", i)}}
		if err := op(&o); err != nil {
			return err
		}
	}
	seq := groups
	for u := 0; u < users; u++ {
		seq++
		o = Operation{Seq: seq, Action: CreateUser, Result: ResultSucceeded,
			Object:  ObjectRef{Type: "user", Name: fmt.Sprintf("User %06d", u), Email: fmt.Sprintf("user%06d@contoso.com", u), EntraID: fmt.Sprintf("10000000-0000-4000-8000-%012d", u), AtlassianID: fmt.Sprintf("u%011d", u)},
			Changes: []Change{{Attribute: "displayName", New: fmt.Sprintf("User %06d", u)}, {Attribute: "department", New: "Dept"}}}
		if u%97 == 0 {
			o.Result, o.Code, o.Message = ResultFailed, "atlassian_rejected", "400: userName already used"
		}
		if err := op(&o); err != nil {
			return err
		}
	}
	per := memberships / max(users, 1)
	for u := 0; u < users; u++ {
		for k := 0; k < per; k++ {
			seq++
			g := (u*7 + k*13) % groups
			o = Operation{Seq: seq, Action: AddMember, Result: ResultSucceeded,
				Object: ObjectRef{Type: "user", Name: fmt.Sprintf("User %06d", u), Email: fmt.Sprintf("user%06d@contoso.com", u), EntraID: fmt.Sprintf("10000000-0000-4000-8000-%012d", u), AtlassianID: fmt.Sprintf("u%011d", u)},
				Group:  &ObjectRef{Type: "group", Name: fmt.Sprintf("Group %05d", g), EntraID: fmt.Sprintf("00000000-0000-4000-8000-%012d", g), AtlassianID: fmt.Sprintf("g%011d", g)},
				Chain:  []string{fmt.Sprintf("Group %05d", g), fmt.Sprintf("Group %05d", (g+1)%groups)}}
			if err := op(&o); err != nil {
				return err
			}
		}
	}
	for s := 0; s < users/100; s++ {
		sk2 := Skip{Object: ObjectRef{Type: "user", Name: fmt.Sprintf("Guest %05d", s), Email: fmt.Sprintf("guest%05d@other.example", s), EntraID: fmt.Sprintf("20000000-0000-4000-8000-%012d", s)}, Reason: "unverified_domain"}
		if err := sk(&sk2); err != nil {
			return err
		}
	}
	return nil
}

// genInMemory is a generated run held whole in memory (genReport's rows under genHeader).
func genInMemory(t *testing.T, users, memberships, groups int) *Report {
	t.Helper()
	r := genHeader()
	if err := genReport(users, memberships, groups, func(op *Operation) error { r.Operations = append(r.Operations, *op); return nil },
		func(s *Skip) error { r.Skips = append(r.Skips, *s); return nil }); err != nil {
		t.Fatal(err)
	}
	return r
}

// genHeader is the header of a generated run.
func genHeader() *Report {
	r := sampleReport()
	r.Operations, r.Skips, r.Counts, r.Errors = nil, nil, nil, nil
	r.Status = StatusSucceeded
	return r
}
