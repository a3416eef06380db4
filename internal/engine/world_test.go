package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// world is the engine wired to the in-memory ports of fakes_test.go.
type world struct {
	t        testing.TB
	src      *memSource
	tgt      *memTarget
	st       *memState
	org      *memOrg // nil: no organization key
	settings Settings
	home     string
	lock     memLock
}

const memDir = "d1"

func newWorld(t testing.TB, snap *directory.Snapshot) *world {
	t.Helper()
	w := &world{t: t, src: newMemSource(snap), tgt: newMemTarget(), st: newMemState(), home: t.TempDir()}
	w.settings = norm(t, DefaultSettings())
	w.settings.DeactivationMaxCount, w.settings.DeactivationMaxPercent = 0, 0
	w.settings.RemovalMaxCount, w.settings.RemovalMaxPercent = 0, 0
	return w
}

// memTenant is a small tenant: a verified and an unverified domain, Eng ⊃ Backend nested, Sales,
// Ops, a guest, a disabled user and a user in no group.
func memTenant() *directory.Snapshot {
	u := func(id, mail string) directory.User {
		return directory.User{ID: id, Mail: mail, UserPrincipalName: id + "@contoso.onmicrosoft.com", DisplayName: "User " + id,
			GivenName: "Given" + id, Surname: "Sur" + id, JobTitle: "Engineer", AccountEnabled: true, UserType: "Member"}
	}
	users := []directory.User{u("u01", "ann@contoso.com"), u("u02", "bob@contoso.com"), u("u03", "cid@contoso.com"),
		u("u04", "dan@contoso.com"), u("u05", "eve@contoso.com"), u("u06", "fay@contoso.com"), u("u07", "gus@contoso.com"),
		u("u08", "hal@contoso.com"), u("u09", "ida@contoso.com"), u("u10", "jon@contoso.com"), u("u11", "kim@contoso.com"),
		u("u12", "lou@contoso.com")}
	users[4].AccountEnabled = false
	users[7].UserType, users[7].Mail = "Guest", "hal@fabrikam.com"
	m := func(ids ...string) []directory.Member {
		var out []directory.Member
		for _, id := range ids {
			k := directory.MemberUser
			if strings.HasPrefix(id, "g") {
				k = directory.MemberGroup
			}
			out = append(out, directory.Member{ID: id, Kind: k})
		}
		return out
	}
	return &directory.Snapshot{
		Tenant:  directory.Tenant{ID: "t1", DisplayName: "Contoso", InitialDomain: "contoso.onmicrosoft.com"},
		Domains: []directory.Domain{{Name: "contoso.com", IsVerified: true}, {Name: "contoso.onmicrosoft.com", IsVerified: true, IsInitial: true}},
		Users:   users,
		Groups: []directory.Group{{ID: "gEng", DisplayName: "Eng"}, {ID: "gBack", DisplayName: "Backend"},
			{ID: "gSales", DisplayName: "Sales"}, {ID: "gOps", DisplayName: "Ops"}},
		Members: map[string][]directory.Member{
			"gEng":   m("gBack", "u01", "u02"),
			"gBack":  m("u03", "u04", "u05"),
			"gSales": m("u06", "u07", "u08", "u09"),
			"gOps":   m("u10", "u11"),
		},
	}
}

func (w *world) engine() *Engine {
	e := &Engine{DirectoryID: memDir, Source: w.src, Target: w.tgt, State: w.st, SnapshotDir: w.home + "/snapshots"}
	if w.org != nil {
		e.Org = w.org
	}
	return e
}

type memRun struct {
	id   string
	plan *Plan
	out  *Outcome
	err  error
}

// run is one sync through the engine's one lifecycle (Engine.Run), confirmed with the tenant and
// the domain set the settings give the tenant now.
func (w *world) run(ctx context.Context, full bool, o Overrides, hook func(int)) memRun {
	w.t.Helper()
	spec := RunSpec{PreviewSpec: PreviewSpec{DirectoryName: "Mem", Settings: w.settings, Full: full, AppVersion: "test",
		Reports: ReportFiles{Dir: w.home + "/reports"}},
		Confirm:   Confirmation{TenantID: w.src.snap.Tenant.ID, Domains: Scope(w.src.snap, w.settings, nil).Domains},
		Overrides: o, Purpose: "test", Lock: &w.lock, Hook: hook}
	res, err := w.engine().Run(ctx, spec)
	if w.lock.held {
		w.t.Fatal("the run left the directory locked")
	}
	return memRun{id: res.RunID, plan: res.Plan, out: res.Outcome, err: err}
}

// mustRun is a run that must succeed.
func (w *world) mustRun(full bool) *Plan {
	w.t.Helper()
	r := w.run(context.Background(), full, Overrides{}, nil)
	if r.err != nil {
		w.t.Fatal(r.err)
	}
	if r.out.Status != report.StatusSucceeded {
		for i, res := range r.out.All() {
			if res.Result == report.ResultFailed {
				op := r.plan.Op(i)
				w.t.Errorf("%s %s: %s %s", op.Action, op.Name, res.Code, res.Message)
			}
		}
		w.t.Fatalf("status %s", r.out.Status)
	}
	return r.plan
}

// preview is a plan that is not applied.
func (w *world) preview(full bool) *Plan {
	w.t.Helper()
	p, err := w.engine().Prepare(context.Background(), PrepareOptions{Settings: w.settings, Full: full})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// checkExact asserts that the organization holds exactly the desired state of the tenant now
// (groups named in held excepted): every user in scope with its mapped attributes, no other
// linked account active, every group with exactly its members.
func (w *world) checkExact(held ...string) {
	w.t.Helper()
	d := Scope(w.src.snap, w.settings, nil)
	w.tgt.mu.Lock()
	defer w.tgt.mu.Unlock()
	byExt := map[string]User{}
	for _, u := range w.tgt.users {
		if _, dup := byExt[u.ExternalID]; dup && u.ExternalID != "" {
			w.t.Errorf("externalId %s twice", u.ExternalID)
		}
		byExt[u.ExternalID] = u
	}
	for id, du := range d.Users {
		cur, ok := byExt[id]
		switch {
		case !ok && du.SCIM.Active:
			w.t.Errorf("user %s (%s) missing", du.SCIM.UserName, id)
		case ok:
			if ch := DiffUser(cur, du.SCIM); len(ch) > 0 {
				w.t.Errorf("user %s differs: %+v", du.SCIM.UserName, ch)
			}
		}
	}
	for ext, u := range byExt {
		if _, ok := d.Users[ext]; !ok && u.Active && ext != "" {
			w.t.Errorf("user %s (%s) out of scope but active", u.UserName, ext)
		}
	}
	for id, dg := range d.Groups {
		if slices.Contains(held, dg.Name) {
			continue
		}
		g, ok := w.tgt.groupNamed(dg.Name)
		if !ok {
			w.t.Errorf("group %s missing", dg.Name)
			continue
		}
		if g.ExternalID != "" && ExternalOwner(g.ExternalID) != id { // a group taken over keeps its own
			w.t.Errorf("group %s has externalId %s, want %s", dg.Name, g.ExternalID, id)
		}
		var want []string
		for _, m := range dg.Members {
			if u, ok := byExt[m]; ok {
				want = append(want, u.ID)
			}
		}
		slices.Sort(want)
		got := slices.Sorted(slices.Values(g.Members))
		if !slices.Equal(got, want) {
			w.t.Errorf("group %s has members %v, want %v", dg.Name, got, want)
		}
	}
}

// writes is the number of writes the target has answered so far.
func (w *world) writes() int {
	w.tgt.mu.Lock()
	defer w.tgt.mu.Unlock()
	return w.tgt.writes
}

// userNamed is the Atlassian account with this userName.
func (w *world) userNamed(name string) (User, bool) {
	w.tgt.mu.Lock()
	defer w.tgt.mu.Unlock()
	return w.tgt.userWhere(func(u User) bool { return strings.EqualFold(u.UserName, name) })
}

func (w *world) groupNamed(name string) (Group, bool) {
	w.tgt.mu.Lock()
	defer w.tgt.mu.Unlock()
	return w.tgt.groupNamed(name)
}

func opNames(p *Plan, a report.Action) []string {
	var out []string
	for _, o := range ops(p, a) {
		out = append(out, o.Name)
	}
	return out
}

// opKeys identifies each op by what it does to whom (the names and emails a report shows are
// left out: an incremental run reads only the touched accounts, so a removed member that is
// not touched itself has no email in its op).
func opKeys(p *Plan) []string {
	var out []string
	for _, o := range p.All() {
		k := fmt.Sprintf("%s|%s|%s|%v", o.Action, o.EntraID, o.SCIMID, o.Changes)
		if o.Group != nil {
			k += "|" + o.Group.EntraID
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
