// Package demo starts the identity, Graph and Atlassian emulators together in-process with a
// generated demo tenant, so the whole app (the real MSAL sign-in, Graph reader and SCIM client)
// can be seen working on a fresh machine without any account. It backs `--demo`, IDPSYNC_DEMO=1
// and `idpsync emulate`.
package demo

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	atlemu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/identity"
	"github.com/idpsync/idpsync/internal/emulator/loopbacktls"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
	"github.com/idpsync/idpsync/internal/keychain"
)

// DirectoryName is the name of the directory demo mode creates.
const DirectoryName = "Demo (emulated)"

// Options size the demo tenant.
type Options struct {
	Seed       uint64
	Users      int // default 300
	Groups     int // default 40
	Members    int // average direct user members per group; default the tenant generator's 10
	Depth      int // group nesting levels; default 3
	NoThrottle bool
}

// ScenarioL is the bench's scenario L (internal/bench: -l-users, -l-groups, -members, -depth
// defaults): 100,000 users, 10,000 groups of 100 direct members nested 6 deep, about 2.87 M
// flattened memberships. IDPSYNC_DEMO_SIZE=L starts the GUI's demo on it (the e2e's filter timing).
var ScenarioL = Options{Users: 100_000, Groups: 10_000, Members: 100, Depth: 6}

// Env is a running set of emulators with its tenant.
type Env struct {
	Tenant    *tenant.Tenant
	Identity  *identity.Server
	Browser   *identity.Browser
	Graph     *graph.Server
	Atlassian *atlemu.Server
	Authority *loopbacktls.Authority
	Secrets   keychain.Store // in memory: the demo never touches the OS keychain

	// The group that conflicts with an unmanaged Atlassian group, and the hand-made account.
	ConflictGroup string
	HandMadeUser  string
}

// Start generates the tenant and starts the three emulators on loopback HTTPS.
func Start(ctx context.Context, o Options) (*Env, error) {
	o.Users, o.Groups, o.Seed = cmp.Or(o.Users, 300), cmp.Or(o.Groups, 40), cmp.Or(o.Seed, 7)
	auth, err := loopbacktls.Shared()
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "demo certificate")
	}
	t := tenant.Generate(tenant.Spec{Seed: o.Seed, Users: o.Users, Groups: o.Groups, Depth: cmp.Or(o.Depth, 3), MembersPerGroup: o.Members})
	org := t.Org()
	e := &Env{Tenant: t, Authority: auth, Secrets: keychain.NewMemory()}
	admin := "admin@" + org.InitialDomain
	e.Identity, err = identity.New(identity.Options{Authority: auth, Accounts: []identity.Account{{UPN: admin, Name: "Demo Admin", TenantID: t.ID, Admin: true}}})
	if err != nil {
		return nil, err
	}
	if err := e.Identity.Start(); err != nil {
		return nil, err
	}
	e.Browser = identity.NewBrowser(e.Identity)
	verify := func(tok string) (graph.Principal, error) {
		c, err := e.Identity.Verify(tok)
		if err != nil {
			return graph.Principal{}, err
		}
		return graph.Principal{AppID: c.AppID, TenantID: c.TenantID, Scopes: c.Scopes}, nil
	}
	e.Graph = graph.New(graph.Options{Tenant: t, Verify: verify, Authority: auth, NoThrottle: o.NoThrottle})
	if err := e.Graph.Start(); err != nil {
		e.Close()
		return nil, err
	}

	// The organization: its domains claimed (all but one verified), an unmanaged group named like
	// an Entra group (a conflict the admin decides), and an account made by hand with the email
	// of an Entra user (adopted by userName).
	snap := t.Snapshot()
	var doms []atlemu.Domain
	for i, d := range t.Domains {
		if !d.IsVerified || d.IsInitial {
			continue
		}
		st := "verified"
		if i == len(t.Domains)-1 && len(doms) > 0 {
			st = "unverified"
		}
		doms = append(doms, atlemu.Domain{Name: d.Name, ClaimType: "dns", Status: st})
	}
	var seedUsers []atlemu.User
	for _, u := range snap.Users {
		if u.AccountEnabled && !u.IsExternal() && u.Mail != "" {
			e.HandMadeUser = u.UserName()
			seedUsers = append(seedUsers, atlemu.User{UserName: u.UserName(), DisplayName: u.DisplayName + " (made by hand)", Active: true,
				Emails: []atlemu.Multi{{Value: u.UserName(), Type: "work", Primary: true}}})
			break
		}
	}
	var seedGroups []atlemu.SeedGroup
	for _, g := range snap.Groups {
		if strings.TrimSpace(g.DisplayName) != "" && !strings.ContainsAny(g.DisplayName, "<>&\"'") {
			e.ConflictGroup = g.DisplayName
			seedGroups = append(seedGroups, atlemu.SeedGroup{DisplayName: g.DisplayName})
			break
		}
	}
	e.Atlassian, err = atlemu.New(atlemu.Options{Authority: auth, Domains: doms, Users: seedUsers, Groups: seedGroups})
	if err != nil {
		e.Close()
		return nil, err
	}
	if err := e.Atlassian.Start(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Transport trusts the emulators' certificate and nothing else.
func (e *Env) Transport() http.RoundTripper { return e.Authority.Transport() }

// AuthorityURL is the identity emulator's root (the tenant is appended by the sign-in code).
func (e *Env) AuthorityURL() string { return e.Identity.URL() }

// GraphURL is the Graph emulator's v1.0 root.
func (e *Env) GraphURL() string { return e.Graph.URL() + "/v1.0" }

// OrgURL is the Atlassian emulator's root for the organization API.
func (e *Env) OrgURL() string { return e.Atlassian.URL() }

// ClientID is the emulated app registration's client id.
func (e *Env) ClientID() string { return e.Identity.ClientID() }

// Close stops every emulator.
func (e *Env) Close() {
	if e.Atlassian != nil {
		_ = e.Atlassian.Close()
	}
	if e.Graph != nil {
		e.Graph.Close()
	}
	if e.Identity != nil {
		_ = e.Identity.Close()
	}
}

// Describe lists the emulators' URLs (and the emulated keys, which are not secrets).
func (e *Env) Describe() string {
	org := e.Tenant.Org()
	var b strings.Builder
	fmt.Fprintf(&b, "Tenant      %s (%s), %d users\n", org.DisplayName, e.Tenant.ID, e.Tenant.UserCount())
	fmt.Fprintf(&b, "Identity    %s  (client id %s)\n", e.Identity.URL(), e.ClientID())
	fmt.Fprintf(&b, "Graph       %s\n", e.GraphURL())
	fmt.Fprintf(&b, "SCIM        %s  (API key %s)\n", e.Atlassian.SCIMURL(), e.Atlassian.APIKey())
	fmt.Fprintf(&b, "Org API     %s  (org %s, API key %s)\n", e.OrgURL(), e.Atlassian.OrgID(), e.Atlassian.OrgAPIKey())
	return b.String()
}
