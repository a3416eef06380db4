package reliability

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/report"
)

const (
	xssImg    = `<img src=x onerror=alert(1)>`
	xssScript = `</script><script>alert(2)</script>`
	badUTF8   = "@@BAD-UTF8@@" // replaced by raw invalid bytes after encoding
)

// editPage decodes a Graph page, lets edit change its value array, and encodes it again with
// raw invalid UTF-8 where badUTF8 was put.
func editPage(t *testing.T, body []byte, edit func(vals []map[string]any)) []byte {
	var page map[string]json.RawMessage
	if err := json.Unmarshal(body, &page); err != nil {
		t.Errorf("cannot decode a page to mangle: %v", err)
		return body
	}
	var vals []map[string]any
	if err := json.Unmarshal(page["value"], &vals); err != nil {
		t.Errorf("cannot decode a page's value: %v", err)
		return body
	}
	edit(vals)
	page["value"], _ = json.Marshal(vals)
	out, _ := json.Marshal(page)
	return bytes.ReplaceAll(out, []byte(badUTF8), []byte("\xff\xfe"))
}

// accounted asserts the "never a silent skip" rule: every user and group Graph served is either
// in the organization (by externalId), or skipped with a reason, or an operation whose failure
// has a code.
func accounted(t *testing.T, e *env, r result) (users, groups int) {
	t.Helper()
	state := e.a.State()
	inOrg := map[string]bool{}
	for _, u := range state.Users {
		inOrg[u.ExternalID] = true
	}
	for _, g := range state.Groups {
		inOrg[engine.ExternalOwner(g.ExternalID)] = true
	}
	why := map[string]string{}
	for _, s := range r.rep.Skips {
		if s.Reason != "" {
			why[s.Object.EntraID] = s.Reason
		}
	}
	for _, op := range r.rep.Operations {
		if op.Result == report.ResultFailed && op.Code != "" {
			why[op.Object.EntraID] = op.Code
		}
	}
	snap := e.ten.Snapshot()
	for _, u := range snap.Users {
		if !inOrg[u.ID] && why[u.ID] == "" {
			t.Errorf("user %s (%.40q) is neither synced nor reported", u.ID, u.DisplayName)
		}
	}
	for _, g := range snap.Groups {
		if !inOrg[g.ID] && why[g.ID] == "" {
			t.Errorf("group %s (%.40q) is neither synced nor reported", g.ID, g.DisplayName)
		}
	}
	return len(snap.Users), len(snap.Groups)
}

// Hostile values from Graph through the real reader, engine and SCIM client: 10,000-character
// names, raw invalid UTF-8, null and missing fields, two users with one email, emails that differ
// only by case, a user without any email, script in names, nesting cycles and members of other
// types (from the generator). The sync finishes, what it read lands exactly, and every object is
// synced or reported with a reason.
func TestHostileGraphValues(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	e := newEnv(t, envOpts{spec: tenant.Spec{Seed: 61, Users: 120, Groups: 14, CaseTwins: 2, Cycles: 2, OtherMembers: 6}, proxies: true})
	long := strings.Repeat("Ŵ", 10000)
	verified := map[string]bool{}
	for _, d := range e.ten.Domains {
		verified[strings.ToLower(d.Name)] = d.IsVerified
	}
	ids := map[string]string{}
	e.gp.SetMangle(func(r *http.Request, status int, body []byte) (int, []byte) {
		if status != 200 {
			return status, body
		}
		switch strings.TrimSuffix(r.URL.Path, "()") {
		case "/v1.0/users":
			if r.URL.Query().Get("$skiptoken") != "" {
				return status, body
			}
			return status, editPage(t, body, func(all []map[string]any) {
				// Only users that would sync, so each edit meets the rule it tests.
				var v []map[string]any
				for _, u := range all {
					m, _ := u["mail"].(string)
					at := strings.LastIndexByte(m, '@')
					if u["accountEnabled"] == true && u["userType"] != "Guest" && at > 0 && verified[strings.ToLower(m[at+1:])] {
						v = append(v, u)
					}
				}
				if len(v) < 9 {
					t.Errorf("only %d syncable users on the first page", len(v))
					return
				}
				v[0]["displayName"] = long + xssImg
				v[1]["surname"] = "Bad" + badUTF8 + "Bytes"
				v[1]["displayName"] = badUTF8
				v[2]["mail"] = v[3]["mail"] // one email, two users
				if m, ok := v[5]["mail"].(string); ok && m != "" {
					v[4]["mail"] = strings.ToUpper(m) // differs only by case
				}
				v[6]["givenName"], v[6]["jobTitle"], v[6]["businessPhones"] = nil, nil, nil
				delete(v[6], "department")
				delete(v[6], "preferredLanguage")
				v[7]["displayName"] = xssScript
				v[8]["mail"], v[8]["userPrincipalName"] = nil, "no-at-sign"
				for i := 0; i < 9; i++ {
					ids[[]string{"long", "utf8", "dup", "dupfirst", "case", "casefirst", "nulls", "script", "noemail"}[i]] = v[i]["id"].(string)
				}
			})
		case "/v1.0/groups":
			if r.URL.Query().Get("$skiptoken") != "" {
				return status, body
			}
			return status, editPage(t, body, func(v []map[string]any) {
				if len(v) < 5 {
					t.Errorf("only %d groups on the first page", len(v))
					return
				}
				v[0]["displayName"] = long
				v[1]["displayName"] = xssImg + xssScript
				v[2]["displayName"] = "Bad" + badUTF8
				v[3]["groupTypes"] = nil
				v[4]["displayName"] = nil
			})
		}
		return status, body
	})
	r := e.run(ctx, true, true, nil)
	if r.err != nil {
		t.Fatalf("the sync failed on hostile values: %v", r.err)
	}
	checkReport(t, r.rep)
	if r.out.Status != report.StatusSucceeded {
		for i, res := range r.out.All() {
			if res.Result == report.ResultFailed {
				t.Logf("op %s %.60q failed: %s %.200s", r.plan.Op(i).Action, r.plan.Op(i).Name, res.Code, res.Message)
			}
		}
	}
	nu, ng := accounted(t, e, r)
	// What was read (hostile values included) is what the organization holds.
	lost := checkExact(t, r.plan.Snapshot, e.settings, e.a.State())
	// The duplicate-email and case twins are skipped with their reason, the user without an email too.
	for _, k := range []string{"dup", "case"} {
		a, b := ids[k], ids[k+"first"]
		if ra, rb := skipReason(r, a, ""), skipReason(r, b, ""); ra != engine.ReasonDuplicateEmail && rb != engine.ReasonDuplicateEmail {
			t.Errorf("%s: neither user is skipped as a duplicate email (%q, %q)", k, ra, rb)
		}
	}
	if got := skipReason(r, ids["noemail"], ""); got != engine.ReasonNoEmail {
		t.Errorf("the user without an email: reason %q", got)
	}
	others := 0
	for _, s := range r.rep.Skips {
		if s.Reason == engine.ReasonUnsupportedMember {
			others++
		}
	}
	if others == 0 {
		t.Error("members of other types were not reported")
	}
	// The long, script-bearing and invalid-UTF-8 names arrived as text.
	st := e.a.State()
	if u, ok := st.UserByUserName(userNameOf(r, ids["long"])); !ok || !strings.HasSuffix(u.DisplayName, xssImg) || len([]rune(u.DisplayName)) != 10000+len(xssImg) {
		t.Errorf("the 10,000-character name did not arrive whole")
	}
	if u, ok := st.UserByUserName(userNameOf(r, ids["utf8"])); !ok || !strings.Contains(u.FamilyName, "\uFFFD") {
		t.Errorf("invalid UTF-8 was not replaced by U+FFFD: %+v", u.FamilyName)
	}
	if _, ok := st.GroupByName(xssImg + xssScript); !ok {
		t.Error("the group named with markup is missing")
	}
	// The HTML report carries them as data, never as markup.
	var html bytes.Buffer
	if err := report.WriteHTML(&html, r.rep, nil); err != nil {
		t.Fatalf("the HTML report failed: %v", err)
	}
	var plain bytes.Buffer
	if err := report.WriteHTML(&plain, engine.BuildReport(engine.RunInfo{RunID: "x", Kind: report.KindApply}, nil, nil), nil); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"<img", "</script", "<script"} {
		if a, b := bytes.Count(bytes.ToLower(html.Bytes()), []byte(tag)), bytes.Count(bytes.ToLower(plain.Bytes()), []byte(tag)); a != b {
			t.Errorf("the HTML report has %d %q where an empty report has %d: data became markup", a, tag, b)
		}
	}
	t.Logf("FIGURES hostile graph: %d users, %d groups, %d skips, %d ops (%s), objects lost %d", nu, ng, len(r.rep.Skips), len(r.rep.Operations), r.out.Status, lost)
}

func userNameOf(r result, entraID string) string {
	for _, op := range r.plan.Operations() {
		if op.EntraID == entraID && op.User != nil {
			return op.User.UserName
		}
	}
	return ""
}

// Hostile answers from Atlassian: a 200 that is a captive portal's HTML, a 409 on create with
// no object behind it, a 404 on update (the user was deleted by hand), unknown extra attributes
// on every user and group read, and an account made by hand with an Entra user's email. No crash,
// no duplicate, every failure a coded operation, and the next run ends exactly at the desired state.
func TestHostileAtlassianAnswers(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t, 2*time.Minute)
	ten := tenant.Generate(tenant.Spec{Seed: 62, Users: 80, Groups: 8})
	var hand string
	for _, u := range ten.Snapshot().Users {
		if u.AccountEnabled && !u.IsExternal() && u.Mail != "" {
			hand = u.UserName()
			break
		}
	}
	e := newEnv(t, envOpts{spec: tenant.Spec{Seed: 62, Users: 80, Groups: 8}, proxies: true,
		atl: atlemu.Options{Users: []atlemu.User{{UserName: strings.ToUpper(hand), DisplayName: "Made by hand", Active: true,
			Emails: []atlemu.Multi{{Value: hand, Type: "work", Primary: true}}}}}})
	// Unknown attributes and extension schemas on everything Atlassian returns.
	e.ap.SetMangle(func(r *http.Request, status int, body []byte) (int, []byte) {
		if status >= 300 || len(body) == 0 {
			return status, body
		}
		return status, bytes.ReplaceAll(body, []byte(`"id":`), []byte(`"nickName":"x","x-unknown":{"a":[1,{"b":null}]},"urn:example:ext:1.0":{"level":3},"id":`))
	})
	// The first list of users is a captive portal: the run fails with a code, nothing is written.
	// One answer: the run's key proof (GET /Users?count=1) already refuses a 200 that is not a
	// SCIM ListResponse.
	e.a.Inject(atlemu.Fault{Method: "GET", PathSuffix: "/Users", HTML: true, Times: 1})
	r := e.run(ctx, true, true, nil)
	if apperr.CodeOf(r.err) != apperr.AtlassianBadResponse {
		t.Fatalf("a 200 with HTML: got %v, want atlassian_bad_response", r.err)
	}
	if n := len(e.a.Writes()); n != 0 {
		t.Fatalf("%d writes after a failed read", n)
	}
	// A 409 on two creates with nothing behind it.
	e.a.Inject(atlemu.Fault{Method: "POST", PathSuffix: "/Users", Status: 409, Times: 2})
	r = e.run(ctx, true, true, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkReport(t, r.rep)
	failed := 0
	for _, op := range r.rep.Operations {
		if op.Result == report.ResultFailed {
			failed++
		}
	}
	t.Logf("409 without an object: %d failed ops (%s)", failed, r.out.Status)
	if failed == 0 && r.out.Status != report.StatusSucceeded {
		t.Fatalf("status %s without a failed operation", r.out.Status)
	}
	// A user deleted by hand before an update: 404 on the PATCH.
	e.ten.Mutate(0.2, 7)
	p, err := e.engine().Prepare(ctx, engine.PrepareOptions{Settings: e.settings, Full: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range p.Operations() {
		if op.Action == report.UpdateUser && op.SCIMID != "" {
			e.a.DeleteUserByHand(op.SCIMID)
			break
		}
	}
	r = e.run(ctx, false, true, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkReport(t, r.rep)
	// Then a clean run: exact, the hand-made account adopted, never duplicated.
	e.mustRun(ctx, true)
	lost := e.checkExact()
	if u, ok := e.a.State().UserByUserName(hand); !ok || u.ExternalID == "" {
		t.Errorf("the account made by hand with %s was not adopted: %+v", hand, u)
	}
	if p := e.engine(); p != nil {
		plan, err := p.Prepare(ctx, engine.PrepareOptions{Settings: e.settings, Full: true})
		if err != nil || plan.Len() != 0 {
			t.Errorf("unknown attributes made the plan non-empty: %v %d ops", err, plan.Len())
		}
	}
	t.Logf("FIGURES hostile atlassian: 5 hostile answers, objects lost %d", lost)
}
