package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/auth"
	"github.com/idpsync/idpsync/internal/directory"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/identity"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/keychain"
)

// rawRun is one child's result with what the parent saw of it.
type rawRun struct {
	Scenario    string      `json:"scenario"`
	Run         string      `json:"run"`
	Child       childResult `json:"child"`
	GraphUnits  int         `json:"graphUnits"`
	GraphThrott int         `json:"graphThrottled"`
	Atl429      int         `json:"atlassian429"`
	Wall        float64     `json:"wallSeconds"` // as the parent timed the child process
	Changes     string      `json:"changes,omitempty"`
	Limit       float64     `json:"atlassianLimit"` // requests/s the Atlassian emulator allowed
	Users       int         `json:"users"`
	Shape       graphShape  `json:"graphShape"` // the tenant when the run started
}

// env is one scenario's emulators.
type env struct {
	demo.Env // the emulators and the tenant (no browser or secrets: the bench signs in itself)
	token    string
	home     string
	gen      time.Duration
	counts   string
	directMs int
	shape    graphShape
}

func startAtlassian(a *loopbacktls.Authority, sc scenario, o options) (*atlemu.Server, error) {
	opts := atlemu.Options{Authority: a, RateLimit: o.AtlRate, Burst: o.AtlBurst, RetryAfter: o.AtlRetryAfter,
		RateLimitHeaders: o.AtlHeaders, Latency: o.AtlLatency, NoRequestLog: true}
	if sc.Raised {
		opts.MaxUsers, opts.MaxMembers = engine.CeilingUsersPerDirectory, engine.CeilingUsersPerGroup
	}
	s, err := atlemu.New(opts)
	if err != nil {
		return nil, err
	}
	return s, s.Start()
}

func startEnv(ctx context.Context, sc scenario, o options) (*env, error) {
	a, err := loopbacktls.Shared()
	if err != nil {
		return nil, err
	}
	e := &env{Env: demo.Env{Authority: a}}
	t0 := time.Now()
	members := o.Members
	if sc.Members > 0 {
		members = sc.Members
	}
	e.Tenant = tenant.Generate(tenant.Spec{Seed: o.Seed, Name: "contoso", Users: sc.Users, Groups: sc.Groups, Depth: o.Depth,
		MembersPerGroup: members, GuestFraction: 0.03, DisabledFrac: 0.02})
	e.gen = time.Since(t0)
	snap := e.Tenant.Snapshot()
	e.shape = shapeOf(snap)
	guests, disabled, nested := 0, 0, 0
	for _, u := range snap.Users {
		if u.IsExternal() {
			guests++
		}
		if !u.AccountEnabled {
			disabled++
		}
	}
	for _, ms := range snap.Members {
		e.directMs += len(ms)
		for _, m := range ms {
			if m.Kind == directory.MemberGroup {
				nested++
			}
		}
	}
	verified := 0
	for _, d := range snap.Domains {
		if d.IsVerified {
			verified++
		}
	}
	e.counts = fmt.Sprintf("%d users (%d guests, %d disabled), %d groups, %d direct memberships (%d of them nested groups), depth %d, %d verified + %d unverified domains",
		len(snap.Users), guests, disabled, len(snap.Groups), e.directMs, nested, o.Depth, verified, len(snap.Domains)-verified)

	admin := "admin@" + e.Tenant.Org().InitialDomain
	e.Identity, err = identity.New(identity.Options{Authority: a, AccessTokenLifetime: 3 * time.Hour,
		Accounts: []identity.Account{{UPN: admin, Name: "Bench Admin", TenantID: e.Tenant.ID, Admin: true}}})
	if err != nil {
		return nil, err
	}
	if err := e.Identity.Start(); err != nil {
		return nil, err
	}
	verify := func(tok string) (graph.Principal, error) {
		c, err := e.Identity.Verify(tok)
		if err != nil {
			return graph.Principal{}, err
		}
		return graph.Principal{AppID: c.AppID, TenantID: c.TenantID, Scopes: c.Scopes}, nil
	}
	e.Graph = graph.New(graph.Options{Tenant: e.Tenant, Verify: verify, Authority: a, Latency: o.GraphLatency,
		ThrottleLimit: o.GraphRU, ThrottleWindow: o.GraphWindow, DeltaPageSize: o.GraphDeltaPage})
	if err := e.Graph.Start(); err != nil {
		e.close()
		return nil, err
	}
	if e.Atlassian, err = startAtlassian(a, sc, o); err != nil {
		e.close()
		return nil, err
	}
	if e.home, err = os.MkdirTemp("", "idpsync-bench-"+sc.Name+"-"); err != nil {
		e.close()
		return nil, err
	}
	// The real sign-in: MSAL's interactive flow (PKCE, loopback redirect) against the identity
	// emulator, whose browser signs the admin in. The sync processes then use that access token
	// as an admin's static token (what IDPSYNC_GRAPH_TOKEN does), so that every one of them does
	// not repeat the sign-in.
	ac, err := auth.New(auth.Config{DirectoryID: "bench", ClientID: e.Identity.ClientID(), Cloud: directory.CloudGlobal, Tenant: e.Tenant.ID,
		AuthorityURL: e.Identity.URL(), GraphURL: e.Graph.URL() + "/v1.0", HTTPClient: a.Client(), Secrets: keychain.NewMemory(),
		CacheDir: e.home, OpenURL: identity.NewBrowser(e.Identity).Open})
	if err != nil {
		e.close()
		return nil, err
	}
	if _, err := ac.SignInInteractive(ctx, admin); err != nil {
		e.close()
		return nil, fmt.Errorf("sign-in: %w", err)
	}
	if e.token, err = ac.AccessToken(ctx); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) close() {
	e.Env.Close()
	if e.home != "" {
		_ = os.RemoveAll(e.home)
	}
}

func (e *env) config(label string, sc scenario, o options, atl *atlemu.Server, home string, naive bool) childConfig {
	s := o.settings(naive, sc.Raised)
	return childConfig{Label: label, Home: home, DirectoryID: "bench", GraphURL: e.Graph.URL() + "/v1.0", Token: e.token,
		SCIMURL: atl.SCIMURL(), SCIMKey: atl.APIKey(), CAPEM: e.Authority.PEM, Settings: s,
		ConfirmTenant: e.Tenant.Org().ID, ConfirmDomains: engine.SyncDomains(e.Tenant.DomainList(), s), Naive: naive}
}

// copyHome copies an app data folder (store, snapshots; not the reports, which only grow) for a
// second run from the same state.
func copyHome(from string) (string, error) {
	to, err := os.MkdirTemp("", "idpsync-bench-full-")
	if err != nil {
		return "", err
	}
	err = filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			if rel == "reports" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		_ = os.RemoveAll(to)
	}
	return to, err
}

// runOne runs one sync in a child and turns it into table rows.
func (e *env) runOne(ctx context.Context, sc scenario, run string, cfg childConfig, atl *atlemu.Server, o options, changes string) ([]row, rawRun, error) {
	g0 := e.Graph.Counters()
	a0 := atl.StatusCount(429)
	t0 := time.Now()
	fmt.Fprintf(os.Stderr, "bench: %s %s: running…\n", sc.Name, run)
	res, err := spawn(ctx, cfg)
	wall := time.Since(t0)
	g1 := e.Graph.Counters()
	rr := rawRun{Scenario: sc.Name, Run: run, Child: res, GraphUnits: g1.Units - g0.Units, GraphThrott: g1.Throttled - g0.Throttled,
		Atl429: atl.StatusCount(429) - a0, Wall: wall.Seconds(), Changes: changes, Limit: o.AtlRate, Users: sc.Users, Shape: e.shape}
	if err != nil {
		return nil, rr, err
	}
	rows := rowsOf(sc.Name, run, res, rr, o)
	fmt.Fprintf(os.Stderr, "bench: %s %s: %.1fs, %d ops %v, status %s, %d failed%s; limiter %+v\n", sc.Name, run, wall.Seconds(), res.Ops,
		res.ByAction, res.Status, res.Failed, firstFail(res), res.Limiter)
	return rows, rr, nil
}

func firstFail(r childResult) string {
	if r.FirstFail == "" {
		return ""
	}
	return " (first: " + r.FirstFail + ")"
}

func runScenario(ctx context.Context, sc scenario, o options) ([]row, []rawRun, error) {
	fmt.Fprintf(os.Stderr, "bench: scenario %s: generating the tenant…\n", sc.Name)
	e, err := startEnv(ctx, sc, o)
	if err != nil {
		return nil, nil, err
	}
	defer e.close()
	fmt.Fprintf(os.Stderr, "bench: scenario %s: %s (generated in %.1fs)\n", sc.Name, e.counts, e.gen.Seconds())
	var rows []row
	var raws []rawRun
	add := func(rs []row, rr rawRun, err error) error {
		raws = append(raws, rr)
		rows = append(rows, rs...)
		return err
	}
	if err := add(e.runOne(ctx, sc, "initial", e.config(sc.Name+" initial", sc, o, e.Atlassian, e.home, false), e.Atlassian, o, "")); err != nil || sc.InitialOnly {
		return rows, raws, err
	}
	if sc.Naive {
		atl, err := startAtlassian(e.Authority, sc, o)
		if err != nil {
			return rows, raws, err
		}
		home, err := os.MkdirTemp("", "idpsync-bench-naive-")
		if err != nil {
			return rows, raws, err
		}
		err = add(e.runOne(ctx, sc, "naive", e.config(sc.Name+" naive", sc, o, atl, home, true), atl, o, ""))
		_ = atl.Close()
		_ = os.RemoveAll(home)
		if err != nil {
			return rows, raws, err
		}
	}
	if err := add(e.runOne(ctx, sc, "no change", e.config(sc.Name+" no change", sc, o, e.Atlassian, e.home, false), e.Atlassian, o, "")); err != nil {
		return rows, raws, err
	}
	changes := o.Changes
	if sc.Changes != "" {
		changes = sc.Changes
	}
	for i, f := range strings.Split(changes, ",") {
		if strings.TrimSpace(f) == "" {
			continue // -changes "": no incremental runs
		}
		frac, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || frac <= 0 {
			return rows, raws, fmt.Errorf("bad -changes entry %q", f)
		}
		ch := e.Tenant.Mutate(frac, o.Seed*1000+uint64(i)+1)
		e.shape = shapeOf(e.Tenant.Snapshot())
		desc := fmt.Sprintf("+%d users, %d updated (%d renamed, %d disabled), %d deleted, +%d/-%d memberships, +%d groups, %d renamed, %d deleted",
			len(ch.AddedUsers), len(ch.UpdatedUsers), len(ch.RenamedUsers), len(ch.DisabledUsers), len(ch.RemovedUsers),
			len(ch.MembersAdded), len(ch.MembersRemoved), len(ch.AddedGroups), len(ch.UpdatedGroups), len(ch.RemovedGroups))
		fmt.Fprintf(os.Stderr, "bench: %s changes %s: %s\n", sc.Name, pct(frac), desc)
		// Beside the 1 % incremental run, a full reconcile of the same change from the same
		// stored state (a copy of the data folder taken before either ran).
		var fullHome string
		if frac == 0.01 {
			if fullHome, err = copyHome(e.home); err != nil {
				return rows, raws, err
			}
		}
		run := "incr " + pct(frac)
		if err := add(e.runOne(ctx, sc, run, e.config(sc.Name+" "+run, sc, o, e.Atlassian, e.home, false), e.Atlassian, o, desc)); err != nil {
			return rows, raws, err
		}
		if fullHome != "" {
			// It runs second, against the Atlassian state the incremental run has already
			// brought up to date, so its apply has (almost) nothing left to write: its time is a
			// lower bound of a full reconcile's, and the ratio to the incremental run an
			// understatement.
			cfg := e.config(sc.Name+" full "+pct(frac), sc, o, e.Atlassian, fullHome, false)
			cfg.Full = true
			err := add(e.runOne(ctx, sc, "full "+pct(frac), cfg, e.Atlassian, o, desc))
			_ = os.RemoveAll(fullHome)
			if err != nil {
				return rows, raws, err
			}
		}
	}
	return rows, raws, nil
}
