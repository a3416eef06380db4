package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// The compact plan (memberships stored per group, operations materialised on demand) must plan
// exactly what the plan of one Op per membership planned: testdata/compact_golden.json holds,
// per generated case, the hashes of the operations, the digest, the plan's counters, conflicts,
// renames and skips, the reports (planned, applied, streamed) and the apply's journal units,
// captured with the one-Op-per-membership planner (commit 2606f11). -update rewrites it.
var updateCompactGolden = flag.Bool("update-compact", false, "rewrite testdata/compact_golden.json")

const compactGolden = "testdata/compact_golden.json"

type compactCase struct {
	Ops        int    `json:"ops"`
	Digest     string `json:"digest"`
	OpsHash    string `json:"opsHash"`
	Summary    string `json:"summary"`
	Report     string `json:"report"`
	Applied    string `json:"applied"`
	Written    string `json:"written"`
	Units      string `json:"units"`
	Thresholds string `json:"thresholds"` // which rails tripped, in clear: a failure names them
}

func TestCompactPlanMatchesGolden(t *testing.T) {
	got := map[string]compactCase{}
	for seed := uint64(1); seed <= 60; seed++ {
		name := fmt.Sprintf("seed%02d", seed)
		got[name] = planCase(t, seed)
	}
	if *updateCompactGolden {
		js, _ := json.MarshalIndent(got, "", " ")
		if err := os.WriteFile(compactGolden, append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(compactGolden)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]compactCase
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Fatalf("golden has %d cases, the test generates %d", len(want), len(got))
	}
	for name, w := range want {
		if g := got[name]; g != w {
			t.Errorf("%s differs from today's plan:\n got %+v\nwant %+v", name, g, w)
		}
	}
}

// TestCompactGoldenCoversTheRules makes sure the generated cases exercise what the golden test
// claims: memberships added and removed, renames, conflicts of every decision, protected groups,
// retired and deleted groups, both thresholds, incremental plans.
func TestCompactGoldenCoversTheRules(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 60; seed++ {
		in := compactInput(seed)
		p := Compute(in)
		for _, op := range allOps(p) {
			seen[string(op.Action)] = true
		}
		for _, c := range p.Conflicts {
			seen["conflict:"+c.Decision] = true
		}
		for _, s := range p.Skips {
			seen["skip:"+s.Reason] = true
		}
		if len(p.Renames) > 0 {
			seen["rename"] = true
		}
		if p.ThresholdTripped {
			seen["deactivation threshold"] = true
		}
		if p.RemovalThresholdTripped {
			seen["removal threshold"] = true
		}
		if in.Touched != nil {
			seen["incremental"] = true
		}
	}
	for _, k := range []string{string(report.AddMember), string(report.RemoveMember), string(report.CreateGroup), string(report.AdoptGroup),
		string(report.ConflictGroup), string(report.RetireGroup), string(report.DeleteGroup), string(report.CreateUser), string(report.AdoptUser),
		string(report.UpdateUser), string(report.DeactivateUser), string(report.ReactivateUser), "conflict:" + DecisionTakeOver, "conflict:" + DecisionSkip,
		"conflict:", "skip:" + ReasonProtectedGroup, "rename", "deactivation threshold", "removal threshold", "incremental"} {
		if !seen[k] {
			t.Errorf("no generated case has %s", k)
		}
	}
}

func hashJSON(t *testing.T, v any) string {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return hashBytes(js)
}

func hashBytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

var endedRE = regexp.MustCompile(`"ended":"[^"]*"`)

func planCase(t *testing.T, seed uint64) compactCase {
	t.Helper()
	p := Compute(compactInput(seed))
	ops := allOps(p)
	c := compactCase{Ops: len(ops), Digest: p.Digest, OpsHash: hashJSON(t, ops)}
	c.Summary = hashJSON(t, struct {
		A, B, C, D, E, F, G any
	}{
		[]int{p.ManagedUsers, p.Deactivations, p.MembershipRemovals, p.DeletedGroups, p.ManagedMemberships},
		[]bool{p.ThresholdTripped, p.RemovalThresholdTripped}, p.Conflicts, p.Renames, p.Skips, p.Mappings, p.Blocked,
	})
	c.Thresholds = fmt.Sprintf("deactivations %d of %d tripped=%v, removals %d of %d tripped=%v",
		p.Deactivations, p.ManagedUsers, p.ThresholdTripped, p.MembershipRemovals, p.ManagedMemberships, p.RemovalThresholdTripped)
	info := RunInfo{RunID: "r1", AppVersion: "test", DirectoryID: "d1", DirectoryName: "Contoso", Kind: report.Kind("sync"),
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r := BuildReport(info, p, nil)
	r.Ended = time.Time{}
	c.Report = hashJSON(t, r)
	// An applied run: results by position, so the report must pair each op with its own result.
	out := newOutcome("r1", len(ops))
	out.Status, out.Started, out.Ended = report.StatusPartial, info.Started, info.Started.Add(time.Minute)
	for i := range ops {
		switch i % 5 {
		case 0:
			out.set(i, OpResult{Result: report.ResultFailed, Code: "scim_error", Message: fmt.Sprint("failure ", i)})
		case 1:
			out.set(i, OpResult{Result: report.ResultSucceeded, SCIMID: fmt.Sprint("new-", i)})
		default:
			out.set(i, OpResult{Result: report.ResultSucceeded})
		}
	}
	c.Applied = hashJSON(t, BuildReport(info, p, out))
	var buf bytes.Buffer
	if _, err := WriteReport(&buf, info, p, out, report.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Written = hashBytes(endedRE.ReplaceAll(buf.Bytes(), nil))
	units := buildUnits(p, 3)
	type junit struct {
		U     json.RawMessage // the unit's journal entry
		Phase int
	}
	ju := make([]junit, len(units))
	for i := range units {
		ju[i] = junit{units[i].journalJSON(p), units[i].phase}
	}
	c.Units = hashJSON(t, ju)
	return c
}

// compactInput generates a small directory and an Atlassian state that differs from it in every
// way the planner distinguishes.
func compactInput(seed uint64) PlanInput {
	r := rand.New(rand.NewPCG(seed, 15))
	pct := func(n int) bool { return r.IntN(100) < n }
	snap := &directory.Snapshot{
		Tenant:  directory.Tenant{ID: "t1", DisplayName: "Contoso", InitialDomain: "contoso.onmicrosoft.com"},
		Domains: []directory.Domain{{Name: "contoso.com", IsVerified: true}, {Name: "eu.contoso.com", IsVerified: true}, {Name: "other.com"}},
		Members: map[string][]directory.Member{},
	}
	doms := []string{"contoso.com", "eu.contoso.com", "other.com"}
	nu := 20 + r.IntN(40)
	for i := 0; i < nu; i++ {
		id := fmt.Sprintf("u%03d", i)
		local := fmt.Sprintf("user%d", r.IntN(nu)) // repeated locals: same emails, ties in the sort
		u := directory.User{ID: id, Mail: local + "@" + doms[r.IntN(3)], UserPrincipalName: id + "@contoso.onmicrosoft.com",
			DisplayName: fmt.Sprintf("User %d", r.IntN(nu)), AccountEnabled: pct(90), UserType: "Member", Department: "D"}
		if pct(10) {
			u.Mail = ""
		}
		if pct(8) {
			u.UserType, u.Mail = "Guest", local+"@gmail.com"
		}
		snap.Users = append(snap.Users, u)
	}
	ng := 6 + r.IntN(10)
	pool := []string{"Eng", "eng", "Sales", "Ops", "Admins", "Design", "Ops", "QA", "Support", "Legal", "HR", "Data", "Web", "Mobile", "Infra", "Sec"}
	for i := 0; i < ng; i++ {
		id := fmt.Sprintf("g%02d", i)
		snap.Groups = append(snap.Groups, directory.Group{ID: id, DisplayName: pool[r.IntN(len(pool))], SecurityEnabled: true})
		var ms []directory.Member
		for k := r.IntN(12); k > 0; k-- {
			ms = append(ms, directory.Member{ID: snap.Users[r.IntN(nu)].ID, Kind: directory.MemberUser})
		}
		if i > 0 && pct(50) {
			ms = append(ms, directory.Member{ID: fmt.Sprintf("g%02d", r.IntN(ng)), Kind: directory.MemberGroup}) // cycles too
		}
		snap.Members[id] = ms
	}
	st := DefaultSettings()
	st.IncludeDisabled = pct(20)
	st.DeleteOutOfScopeGroups = pct(30)
	st.DeactivationMaxCount, st.DeactivationMaxPercent = []int{0, 1, 5}[r.IntN(3)], float64(r.IntN(2)*10)
	st.RemovalMaxCount, st.RemovalMaxPercent = []int{0, 2, 20}[r.IntN(3)], float64(r.IntN(2)*15)
	if pct(50) {
		st.ProtectedGroups = []string{pool[r.IntN(len(pool))]}
	}
	st, err := st.Normalize()
	if err != nil {
		panic(err)
	}
	d := Scope(snap, st, nil)

	live := &Live{}
	var maps []Mapping
	decisions := map[string]string{}
	liveIDs := []string{}
	for _, id := range sortedKeys(d.Users) {
		du := d.Users[id]
		u := du.SCIM
		u.ID = "s-" + id
		switch k := r.IntN(10); {
		case k < 3: // missing: created
			continue
		case k < 7: // synced, maybe changed
			maps = append(maps, Mapping{Kind: "user", EntraID: id, SCIMID: u.ID, Managed: true})
			if pct(25) {
				u.DisplayName += " (old)"
			}
			if pct(15) {
				u.Active = !u.Active
			}
		case k < 9: // an account with the same email: adopted
			u.ExternalID = ""
		default: // the email is linked to another Entra object: skipped
			u.ExternalID = "other-" + id
		}
		live.Users = append(live.Users, u)
		liveIDs = append(liveIDs, u.ID)
	}
	for i := r.IntN(6); i > 0; i-- { // managed accounts whose Entra user is gone: deactivated
		id := fmt.Sprintf("gone%d", i)
		live.Users = append(live.Users, User{ID: "s-" + id, ExternalID: id, UserName: id + "@contoso.com", DisplayName: "Gone " + id, Active: true})
		maps = append(maps, Mapping{Kind: "user", EntraID: id, SCIMID: "s-" + id, Managed: true})
		liveIDs = append(liveIDs, "s-"+id)
	}
	members := func() []string {
		var out []string
		for _, id := range liveIDs {
			if pct(30) {
				out = append(out, id)
			}
		}
		return out
	}
	for _, id := range sortedKeys(d.Groups) {
		g := d.Groups[id]
		lg := Group{ID: "sg-" + id, ExternalID: id, DisplayName: g.Name, Members: members()}
		switch k := r.IntN(12); {
		case k < 3: // missing: created
			continue
		case k < 7: // managed, members differ
			maps = append(maps, Mapping{Kind: "group", EntraID: id, SCIMID: lg.ID, Managed: true})
		case k < 8: // renamed in Entra
			lg.DisplayName = "Old " + g.Name
			maps = append(maps, Mapping{Kind: "group", EntraID: id, SCIMID: lg.ID, Managed: true})
		default: // an unmanaged group of the same name: a conflict
			lg.ExternalID = ""
			decisions[id] = []string{"", DecisionTakeOver, DecisionSkip}[r.IntN(3)]
		}
		live.Groups = append(live.Groups, lg)
	}
	for i := r.IntN(4); i > 0; i-- { // managed groups gone from scope: retired or deleted
		id := fmt.Sprintf("gx%d", i)
		live.Groups = append(live.Groups, Group{ID: "sg-" + id, ExternalID: id, DisplayName: "Gone " + id, Members: members()})
		maps = append(maps, Mapping{Kind: "group", EntraID: id, SCIMID: "sg-" + id, Managed: true})
	}
	in := PlanInput{Desired: d, Live: live, Mappings: maps, Decisions: decisions, Settings: st}
	if seed%4 == 0 { // incremental: only some objects changed
		tu := &Touched{Users: map[string]bool{}, Groups: map[string]bool{}}
		for _, id := range sortedKeys(d.Users) {
			tu.Users[id] = pct(50)
		}
		for _, m := range maps {
			if m.Kind == "user" {
				tu.Users[m.EntraID] = tu.Users[m.EntraID] || pct(50)
			} else {
				tu.Groups[m.EntraID] = pct(60)
			}
		}
		for _, id := range sortedKeys(d.Groups) {
			tu.Groups[id] = tu.Groups[id] || pct(60)
		}
		in.Touched = tu
	}
	return in
}

func allOps(p *Plan) []Op { return p.Operations() }
