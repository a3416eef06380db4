package atlassian_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/apperr/apperrtest"
	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

var fiveDomains = []emu.Domain{
	{Name: "contoso.com", ClaimType: "dns", Status: "verified"},
	{Name: "Fabrikam.com", ClaimType: "http", Status: "unverified"},
	{Name: "old.contoso.com", ClaimType: "dns", Status: "superseded"},
	{Name: "new.contoso.com", ClaimType: "dns", Status: "missing_token"},
	{Name: "gone.contoso.com", ClaimType: "dns", Status: "deleted"},
}

func orgCfg(s *emu.Server) *atlassian.OrgConfig {
	return &atlassian.OrgConfig{BaseURL: s.URL(), OrgID: s.OrgID(), APIKey: s.OrgAPIKey(), Transport: s.Transport(), AllowCustomHost: true,
		Retry: atlassian.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}}
}

func TestListDomainsFollowsCursor(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{Domains: fiveDomains, DomainPage: 2})
	o, err := atlassian.NewOrg(*orgCfg(s))
	if err != nil {
		t.Fatal(err)
	}
	got, err := o.ListDomains(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[1].Name != "fabrikam.com" || got[1].ClaimType != "http" || got[1].Status != atlassian.ClaimUnverified || got[4].Status != atlassian.ClaimDeleted {
		t.Fatalf("domains %+v", got)
	}
	r := s.Requests()
	if len(r) != 3 || r[0].Query.Get("cursor") != "" || r[1].Query.Get("cursor") != "c2" || r[2].Query.Get("cursor") != "c4" {
		t.Fatalf("requests %+v", r)
	}
	if _, err := atlassian.NewOrg(atlassian.OrgConfig{OrgID: "x/y", APIKey: "k"}); apperr.CodeOf(err) != apperr.InvalidInput {
		t.Errorf("bad org id: %v", err)
	}
	if _, err := atlassian.NewOrg(atlassian.OrgConfig{BaseURL: "http://api.atlassian.com", OrgID: "x", APIKey: "k"}); apperr.CodeOf(err) != apperr.InsecureURL {
		t.Errorf("http: %v", err)
	}
}

func TestCheckConnectionAllGood(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{Domains: fiveDomains, Users: []emu.User{{UserName: "a@contoso.com"}, {UserName: "b@contoso.com"}}})
	rep := atlassian.CheckConnection(context.Background(), fastCfg(s), orgCfg(s))
	if !rep.OK() || !rep.SCIMURL.OK || !rep.SCIMKey.OK || !rep.OrgKey.OK || !rep.OrgFound.OK || rep.UserCount != 2 || len(rep.Domains) != 5 {
		t.Fatalf("%+v", rep)
	}
	noOrg := atlassian.CheckConnection(context.Background(), fastCfg(s), nil)
	if !noOrg.OK() || !noOrg.OrgKey.Skipped {
		t.Fatalf("%+v", noOrg)
	}
}

func TestCheckConnectionFailures(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{})
	ctx := context.Background()

	wrongKey := fastCfg(s)
	wrongKey.APIKey = "nope"
	wrongKey.KeyCreated = time.Now().Add(-10 * 24 * time.Hour)
	badOrgKey := orgCfg(s)
	badOrgKey.APIKey = "nope"
	rep := atlassian.CheckConnection(ctx, wrongKey, badOrgKey)
	if !rep.SCIMURL.OK || rep.SCIMKey.OK || rep.SCIMKey.Code != apperr.AtlassianUnauthorized || !strings.Contains(rep.SCIMKey.Message, "10 days ago") {
		t.Errorf("wrong SCIM key: %+v", rep)
	}
	if rep.OrgKey.OK || rep.OrgKey.Code != apperr.AtlassianUnauthorized || !rep.OrgFound.Skipped || rep.OK() {
		t.Errorf("wrong org key: %+v", rep)
	}

	s.SetKeyExpired(true)
	rep = atlassian.CheckConnection(ctx, fastCfg(s), nil)
	if rep.SCIMKey.OK || !strings.Contains(rep.SCIMKey.Message, "has expired") {
		t.Errorf("expired key: %+v", rep.SCIMKey)
	}
	s.SetKeyExpired(false)

	wrongDir := fastCfg(s)
	wrongDir.BaseURL = s.URL() + "/scim/directory/not-mine"
	wrongOrg := orgCfg(s)
	wrongOrg.OrgID = "not-mine"
	rep = atlassian.CheckConnection(ctx, wrongDir, wrongOrg)
	if rep.SCIMURL.OK || rep.SCIMURL.Code != apperr.AtlassianNotFound || !strings.Contains(rep.SCIMURL.Message, "no SCIM directory") || !rep.SCIMKey.Skipped {
		t.Errorf("wrong directory: %+v", rep.SCIMURL)
	}
	if !rep.OrgKey.OK || rep.OrgFound.OK || rep.OrgFound.Code != apperr.AtlassianNotFound {
		t.Errorf("wrong org id: %+v %+v", rep.OrgKey, rep.OrgFound)
	}

	httpURL := fastCfg(s)
	httpURL.BaseURL = strings.Replace(s.SCIMURL(), "https:", "http:", 1)
	if rep = atlassian.CheckConnection(ctx, httpURL, nil); rep.SCIMURL.Code != apperr.InsecureURL {
		t.Errorf("http: %+v", rep.SCIMURL)
	}

	// No network: nothing listens on the port.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	_ = ln.Close()
	offline := fastCfg(s)
	offline.BaseURL = "https://" + dead + "/scim/directory/x"
	rep = atlassian.CheckConnection(ctx, offline, nil)
	if rep.SCIMURL.Code != apperr.AtlassianUnavailable || !strings.Contains(rep.SCIMURL.Message, "cannot connect") {
		t.Errorf("offline: %+v", rep.SCIMURL)
	}

	// TLS: a client that does not trust the certificate (as behind an HTTPS-inspecting proxy).
	untrusted := fastCfg(s)
	untrusted.Transport = http.DefaultTransport
	rep = atlassian.CheckConnection(ctx, untrusted, nil)
	if rep.SCIMURL.Code != apperr.InsecureURL || !strings.Contains(rep.SCIMURL.Message, "not trusted") {
		t.Errorf("tls: %+v", rep.SCIMURL)
	}

	// A captive portal answering 200 with HTML.
	s.Inject(emu.Fault{HTML: true})
	if rep = atlassian.CheckConnection(ctx, fastCfg(s), nil); rep.SCIMURL.Code != apperr.AtlassianBadResponse {
		t.Errorf("portal: %+v", rep.SCIMURL)
	}
	// The check does not retry: one 503 is reported as it is.
	s.Inject(emu.Fault{Status: 503})
	if rep = atlassian.CheckConnection(ctx, fastCfg(s), nil); rep.SCIMURL.Code != apperr.AtlassianUnavailable {
		t.Errorf("503: %+v", rep.SCIMURL)
	}
}

// A cursor-paged organization read that gets the same links.next twice would read forever: it
// stops on the second page with atlassian_bad_response naming the request, for the domains (v1)
// and the v2 group search alike (one followCursor).
func TestCursorPagingRefusesARepeatedCursor(t *testing.T) {
	u, tr, calls := sameAnswerServer(t, "application/json",
		`{"data":[{"id":"x","name":"a","attributes":{"name":"a.com","claim":{"type":"dns","status":"verified"}}}],"links":{"next":"https://api.atlassian.com/admin/v1/orgs/o/domains?cursor=c1"}}`)
	o, err := atlassian.NewOrg(atlassian.OrgConfig{BaseURL: u, OrgID: "o", APIKey: "k", Transport: tr, AllowCustomHost: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = o.ListDomains(ctx)
	if e := apperrtest.Want(t, err, apperr.AtlassianBadResponse); !strings.Contains(e.Message, "GET /admin/v1/orgs/o/domains: the server returned the same cursor twice") || *calls != 2 {
		t.Errorf("domains: %v after %d requests", err, *calls)
	}
	*calls = 0
	_, err = o.FindGroupsByName(ctx, []string{"a"})
	if e := apperrtest.Want(t, err, apperr.AtlassianBadResponse); !strings.Contains(e.Message, "groups/search: the server returned the same cursor twice") || *calls != 2 {
		t.Errorf("group search: %v after %d requests", err, *calls)
	}
}
