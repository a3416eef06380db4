package entra

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/domains"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/organization"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"golang.org/x/sync/errgroup"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
)

const (
	permUsers   = "User.Read.All"
	permGroups  = "GroupMember.Read.All"
	permDomains = "Domain.Read.All"
	permOrg     = "User.Read"
)

// UserSelect is every user property the attribute mapping needs, plus userType and
// accountEnabled, which Graph's default property set omits.
var UserSelect = []string{"id", "userPrincipalName", "mail", "givenName", "surname", "displayName", "jobTitle",
	"preferredLanguage", "mobilePhone", "businessPhones", "department", "userType", "accountEnabled"}

// GroupSelect is the groups delta $select; "members" makes Graph return members@delta, so one
// pass over groups delta carries every direct membership.
var GroupSelect = []string{"id", "displayName", "groupTypes", "securityEnabled", "mailEnabled", "members"}

// ReadTenant reads the organization (id, name, verified domains) and the domain list.
func (r *Reader) ReadTenant(ctx context.Context) (directory.Tenant, []directory.Domain, error) {
	var t directory.Tenant
	var orgPage struct {
		Value *[]struct {
			ID              string `json:"id"`
			DisplayName     string `json:"displayName"`
			VerifiedDomains []struct {
				Name      string `json:"name"`
				IsDefault bool   `json:"isDefault"`
				IsInitial bool   `json:"isInitial"`
			} `json:"verifiedDomains"`
		} `json:"value"`
	}
	info, err := organization.NewOrganizationRequestBuilderInternal(map[string]string{}, r.adapter).ToGetRequestInformation(ctx,
		&organization.OrganizationRequestBuilderGetRequestConfiguration{QueryParameters: &organization.OrganizationRequestBuilderGetQueryParameters{
			Select: []string{"id", "displayName", "verifiedDomains"}}})
	if err != nil {
		return t, nil, apperr.Wrap(err, apperr.Internal, "building GET /organization")
	}
	if err := r.send(ctx, request{name: "GET /organization", perm: permOrg, info: info, decode: jsonInto(&orgPage)}); err != nil {
		return t, nil, err
	}
	if orgPage.Value == nil || len(*orgPage.Value) != 1 || (*orgPage.Value)[0].ID == "" {
		return t, nil, apperr.New(apperr.GraphBadResponse, "GET /organization did not return exactly one organization")
	}
	org := (*orgPage.Value)[0]
	t = directory.Tenant{ID: org.ID, DisplayName: org.DisplayName}
	for _, d := range org.VerifiedDomains {
		name := strings.ToLower(d.Name)
		t.VerifiedDomains = append(t.VerifiedDomains, name)
		if d.IsInitial {
			t.InitialDomain = name
		}
		if d.IsDefault {
			t.DefaultDomain = name
		}
	}

	var domPage struct {
		Value *[]struct {
			ID         string `json:"id"`
			IsVerified bool   `json:"isVerified"`
			IsDefault  bool   `json:"isDefault"`
			IsInitial  bool   `json:"isInitial"`
		} `json:"value"`
		NextLink string `json:"@odata.nextLink"`
	}
	info, err = domains.NewDomainsRequestBuilderInternal(map[string]string{}, r.adapter).ToGetRequestInformation(ctx, nil)
	if err != nil {
		return t, nil, apperr.Wrap(err, apperr.Internal, "building GET /domains")
	}
	var doms []directory.Domain
	for info != nil {
		domPage.Value, domPage.NextLink = nil, ""
		if err := r.send(ctx, request{name: "GET /domains", perm: permDomains, info: info, decode: jsonInto(&domPage)}); err != nil {
			return t, nil, err
		}
		if domPage.Value == nil {
			return t, nil, apperr.New(apperr.GraphBadResponse, "GET /domains returned no value array")
		}
		for _, d := range *domPage.Value {
			doms = append(doms, directory.Domain{Name: strings.ToLower(d.ID), IsVerified: d.IsVerified, IsDefault: d.IsDefault, IsInitial: d.IsInitial})
		}
		info = nil
		if domPage.NextLink != "" {
			if info, err = r.linkInfo("GET /domains", domPage.NextLink); err != nil {
				return t, nil, err
			}
		}
	}
	return t, doms, nil
}

func jsonInto(v any) func(io.Reader) error {
	return func(rd io.Reader) error { return strictDecode(rd, v) }
}

// pageError is a page whose JSON did not arrive whole or is not JSON: nothing of it was used,
// so the request may be sent again.
type pageError struct{ err error }

func (e pageError) Error() string { return e.err.Error() }
func (e pageError) Unwrap() error { return e.err }

// strictDecode decodes one JSON document and insists nothing but whitespace follows it.
func strictDecode(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	if err := dec.Decode(v); err != nil {
		return pageError{err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return pageError{errors.New("trailing data after the JSON document")}
	}
	return nil
}

// userJSON is a user as Graph sends it with UserSelect, or a removal in a delta.
type userJSON struct {
	ID                string   `json:"id"`
	UserPrincipalName string   `json:"userPrincipalName"`
	Mail              string   `json:"mail"`
	GivenName         string   `json:"givenName"`
	Surname           string   `json:"surname"`
	DisplayName       string   `json:"displayName"`
	JobTitle          string   `json:"jobTitle"`
	PreferredLanguage string   `json:"preferredLanguage"`
	MobilePhone       string   `json:"mobilePhone"`
	BusinessPhones    []string `json:"businessPhones"`
	Department        string   `json:"department"`
	UserType          string   `json:"userType"`
	AccountEnabled    *bool    `json:"accountEnabled"`
	Removed           *removed `json:"@removed"`
}

type removed struct {
	Reason string `json:"reason"`
}

func (u *userJSON) user() directory.User {
	out := directory.User{ID: u.ID, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail, GivenName: u.GivenName,
		Surname: u.Surname, DisplayName: u.DisplayName, JobTitle: u.JobTitle, PreferredLanguage: u.PreferredLanguage,
		MobilePhone: u.MobilePhone, Department: u.Department, UserType: u.UserType, AccountEnabled: *u.AccountEnabled}
	if len(u.BusinessPhones) > 0 {
		out.BusinessPhone = u.BusinessPhones[0]
	}
	return out
}

// check rejects a user a page could not have meant: a sync that took a missing accountEnabled
// for false (or true) would deactivate (or reactivate) people.
func (u *userJSON) check() error {
	if u.ID == "" {
		return errors.New("a user without an id")
	}
	if u.Removed == nil && (u.AccountEnabled == nil || u.UserPrincipalName == "") {
		return errors.New("user " + u.ID + " lacks accountEnabled or userPrincipalName")
	}
	return nil
}

type userPage struct {
	Value     *[]userJSON `json:"value"`
	NextLink  string      `json:"@odata.nextLink"`
	DeltaLink string      `json:"@odata.deltaLink"`
}

type memberJSON struct {
	Type    string   `json:"@odata.type"`
	ID      string   `json:"id"`
	Removed *removed `json:"@removed"`
}

type groupJSON struct {
	ID              string       `json:"id"`
	DisplayName     *string      `json:"displayName"`
	GroupTypes      []string     `json:"groupTypes"`
	SecurityEnabled bool         `json:"securityEnabled"`
	MailEnabled     bool         `json:"mailEnabled"`
	Members         []memberJSON `json:"members@delta"`
	Removed         *removed     `json:"@removed"`
}

type groupPage struct {
	Value     *[]groupJSON `json:"value"`
	NextLink  string       `json:"@odata.nextLink"`
	DeltaLink string       `json:"@odata.deltaLink"`
}

func member(m memberJSON) (directory.Member, error) {
	if m.ID == "" {
		return directory.Member{}, errors.New("a member without an id")
	}
	switch strings.ToLower(m.Type) {
	case "#microsoft.graph.user":
		return directory.Member{ID: m.ID, Kind: directory.MemberUser}, nil
	case "#microsoft.graph.group":
		return directory.Member{ID: m.ID, Kind: directory.MemberGroup}, nil
	case "":
		return directory.Member{}, errors.New("member " + m.ID + " has no @odata.type")
	}
	return directory.Member{ID: m.ID, Kind: directory.MemberOther, ODataType: m.Type}, nil
}

// pager follows nextLinks from a first request to the end (or the deltaLink), decoding each page
// with decode, which returns the page's links.
func (r *Reader) pager(ctx context.Context, name, perm string, first *abs.RequestInformation, delta bool,
	decode func(io.Reader) (next, deltaLink string, err error)) (string, error) {
	return r.pages(ctx, request{name: name, perm: perm, info: first}, delta, decode)
}

// pagerGone is pager for a listing whose object may have been deleted since it was listed: a
// 404 sets *gone and ends the listing without an error.
func (r *Reader) pagerGone(ctx context.Context, name, perm string, first *abs.RequestInformation, gone *bool,
	decode func(io.Reader) (next, deltaLink string, err error)) (string, error) {
	return r.pages(ctx, request{name: name, perm: perm, info: first, notFound: gone}, false, decode)
}

func (r *Reader) pages(ctx context.Context, req request, delta bool, decode func(io.Reader) (next, deltaLink string, err error)) (string, error) {
	for {
		var next, dl string
		req.decode = func(rd io.Reader) error {
			var err error
			next, dl, err = decode(rd)
			return err
		}
		err := r.send(ctx, req)
		if err != nil {
			return "", err
		}
		switch {
		case req.notFound != nil && *req.notFound:
			return "", nil
		case next != "":
			if req.info, err = r.linkInfo(req.name, next); err != nil {
				return "", err
			}
		case delta && dl == "":
			return "", apperr.Wrap(errNoLink, apperr.GraphBadResponse, "%s ended without a deltaLink", req.name)
		default:
			return dl, nil
		}
	}
}

// ReadFull reads the whole directory: users, and groups with their direct members, in parallel.
//
// It takes the cheapest strategy by Graph's documented costs (identity and access budget: 8,000
// resource units per 10 s above 500 users; GET /users 2, GET /groups/{id}/members 3, others 1,
// $select −1). For U users, G groups with M direct memberships, delta pages of P entries (Graph's
// choice, undocumented) and a request latency λ:
//
//   - groups delta with members: ceil((G+M)/P) pages at 1 unit, each needing the previous page's
//     nextLink. Few units, but one chain: for scenario L (G 10,000, M 1,000,000, P 200) 5,050
//     pages × 20 ms ≈ 101 s, whatever the budget.
//   - paged groups, then each group's direct members (GET /groups/{id}/members?$select=id&$top=999,
//     2 units a page) in parallel: ceil(G/999) + about 2G units; the member listings do not depend
//     on each other, so the budget, not a chain, bounds it: (2G − 8,000) / 800 units/s ≈ 15 s for
//     L, and every group with a page of its own (≤ 999 members: nearly all) costs 2 units whatever
//     its size.
//   - the same listings through $batch (20 per POST): each request in a batch is charged and
//     throttled on its own (json-batching.md), so the same units and the same bound; it saves
//     round trips, which the listings in flight (MemberConcurrency) already hide, and its inner
//     429s are not retried by kiota's middleware.
//   - transitiveMembers per group: 4 units a page, twice the listings' bound, and it returns
//     every nested user again for each enclosing group.
//
// The listings win unless groups are many and nearly empty (2G/800 s against (G+M)/P × λ: the
// delta chain is shorter only when M/G < 2P/(800λ) − 1, under 24 members a group at 200-entry pages
// and 20 ms); a directory synced to Atlassian groups its people, so ReadFull lists. Users page
// along in parallel at 1 unit per 999 ($select), as before.
//
// Both delta links come from $deltatoken=latest, requested before the listings start
// (delta-query-overview.md: "sync from now"), so a change made during the read shows up in the
// next delta (perhaps again, which is harmless), at one request each instead of a second full
// pass over users/delta and groups/delta.
func (r *Reader) ReadFull(ctx context.Context, progress func(Progress)) (*directory.Snapshot, directory.DeltaLinks, error) {
	var links directory.DeltaLinks
	ps := &progressSink{fn: progress, r: r}
	tenant, doms, err := r.ReadTenant(ctx)
	if err != nil {
		return nil, links, err
	}
	ps.add("tenant", 0, 0, 0)
	snap := &directory.Snapshot{Tenant: tenant, Domains: doms, Members: map[string][]directory.Member{}}
	err = r.parallel(ctx,
		func(ctx context.Context) error {
			var err error
			links.Users, err = r.latest(ctx, "users", UserSelect)
			if err != nil {
				return err
			}
			snap.Users, err = r.listUsers(ctx, ps)
			return err
		},
		func(ctx context.Context) error {
			var err error
			if links.Groups, err = r.latest(ctx, "groups", GroupSelect); err != nil {
				return err
			}
			gs, err := r.listGroups(ctx)
			if err != nil {
				return err
			}
			snap.Groups, snap.Members, err = r.listMembers(ctx, gs, ps)
			return err
		})
	if err != nil {
		return nil, directory.DeltaLinks{}, err
	}
	return snap, links, nil
}

// GroupListSelect is the group listing's $select: GroupSelect without the members navigation,
// which only delta turns into members@delta.
var GroupListSelect = []string{"id", "displayName", "groupTypes", "securityEnabled", "mailEnabled"}

// listGroups pages GET /groups. A group whose displayName comes null is kept, nameless, so the
// engine reports it (no_group_name) instead of losing it and its members without a word.
func (r *Reader) listGroups(ctx context.Context) ([]directory.Group, error) {
	top := int32(999)
	info, err := groups.NewGroupsRequestBuilderInternal(map[string]string{}, r.adapter).ToGetRequestInformation(ctx,
		&groups.GroupsRequestBuilderGetRequestConfiguration{QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Select: GroupListSelect, Top: &top}})
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "building GET /groups")
	}
	var out []directory.Group
	seen := map[string]bool{}
	_, err = r.pager(ctx, "GET /groups", permGroups, info, false, func(rd io.Reader) (string, string, error) {
		var p groupPage
		if err := strictDecode(rd, &p); err != nil {
			return "", "", err
		}
		if p.Value == nil {
			return "", "", errors.New("no value array")
		}
		for _, g := range *p.Value {
			if g.ID == "" {
				return "", "", errors.New("a group without an id")
			}
			if seen[g.ID] {
				continue // a replay across pages
			}
			seen[g.ID] = true
			out = append(out, listedGroup(g))
		}
		return p.NextLink, "", nil
	})
	return out, err
}

// listedGroup is a group as the snapshot keeps it.
func listedGroup(g groupJSON) directory.Group {
	if g.DisplayName == nil {
		return directory.Group{ID: g.ID}
	}
	if len(g.GroupTypes) == 0 {
		g.GroupTypes = nil // [] and absent mean the same; keep one form
	}
	return directory.Group{ID: g.ID, DisplayName: *g.DisplayName, GroupTypes: g.GroupTypes,
		SecurityEnabled: g.SecurityEnabled, MailEnabled: g.MailEnabled}
}

// listMembers pages each group's direct members, MemberConcurrency groups at a time within the
// pacer's budget. A group deleted since the listing (404) is dropped with its members: the
// groups delta link was taken before, so the next delta reports the deletion too.
func (r *Reader) listMembers(ctx context.Context, gs []directory.Group, ps *progressSink) ([]directory.Group, map[string][]directory.Member, error) {
	members := make([][]directory.Member, len(gs))
	gone := make([]bool, len(gs))
	// A user is a member of many groups: one copy of each id string instead of one per
	// membership saves about 40 MB on a million memberships.
	var imu sync.Mutex
	intern := map[string]string{}
	top := int32(999)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.MemberConcurrency)
	for i := range gs {
		g.Go(func() error {
			info, err := groups.NewItemMembersRequestBuilderInternal(map[string]string{"group%2Did": gs[i].ID}, r.adapter).ToGetRequestInformation(gctx,
				&groups.ItemMembersRequestBuilderGetRequestConfiguration{QueryParameters: &groups.ItemMembersRequestBuilderGetQueryParameters{Select: []string{"id"}, Top: &top}})
			if err != nil {
				return apperr.Wrap(err, apperr.Internal, "building GET /groups/{id}/members")
			}
			var ms []directory.Member
			_, err = r.pagerGone(gctx, "GET /groups/{id}/members", permGroups, info, &gone[i], func(rd io.Reader) (string, string, error) {
				var p struct {
					Value    *[]memberJSON `json:"value"`
					NextLink string        `json:"@odata.nextLink"`
				}
				if err := strictDecode(rd, &p); err != nil {
					return "", "", err
				}
				if p.Value == nil {
					return "", "", errors.New("no value array")
				}
				page := make([]directory.Member, 0, len(*p.Value))
				for _, m := range *p.Value {
					mem, err := member(m)
					if err != nil {
						return "", "", err
					}
					page = append(page, mem)
				}
				imu.Lock()
				for k := range page {
					if id, ok := intern[page[k].ID]; ok {
						page[k].ID = id
					} else {
						intern[page[k].ID] = page[k].ID
					}
				}
				imu.Unlock()
				ms = append(ms, page...)
				ps.add("groups", 0, 0, len(page))
				return p.NextLink, "", nil
			})
			if err != nil {
				return err
			}
			members[i] = dedupeMembers(ms)
			ps.add("groups", 0, 1, 0)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	out := gs[:0]
	byID := make(map[string][]directory.Member, len(gs))
	for i, grp := range gs {
		if gone[i] {
			continue
		}
		out = append(out, grp)
		if len(members[i]) > 0 {
			byID[grp.ID] = members[i]
		}
	}
	return out, byID, nil
}

func removeMember(ms []directory.Member, id string) []directory.Member {
	out := ms[:0]
	for _, m := range ms {
		if m.ID != id {
			out = append(out, m)
		}
	}
	return out
}

// dedupeMembers drops repeats: Graph may replay a member on a later page.
func dedupeMembers(ms []directory.Member) []directory.Member {
	if len(ms) < 2 {
		return ms
	}
	seen := make(map[string]struct{}, len(ms))
	out := ms[:0]
	for _, m := range ms {
		if _, ok := seen[m.ID]; !ok {
			seen[m.ID] = struct{}{}
			out = append(out, m)
		}
	}
	return out
}

// parallel runs independent reads with at most Config.Concurrency at once; the first error
// cancels the others.
func (r *Reader) parallel(ctx context.Context, fns ...func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.Concurrency)
	for _, fn := range fns {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(gctx) })
	}
	// The group keeps the first error, the one that canceled the others.
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil && (apperr.CodeOf(err) == apperr.Canceled || errors.Is(err, context.Canceled)) {
		return apperr.Wrap(err, apperr.Canceled, "reading the directory was canceled")
	}
	return err
}

// latest asks resource's delta for a link that starts now ($deltatoken=latest): one request
// that returns no objects, only the @odata.deltaLink.
func (r *Reader) latest(ctx context.Context, resource string, sel []string) (string, error) {
	u := r.cfg.BaseURL + "/" + resource + "/delta()?$deltatoken=latest&$select=" + url.QueryEscape(strings.Join(sel, ","))
	info, err := r.linkInfo("GET /"+resource+"/delta", u)
	if err != nil {
		return "", err
	}
	perm := permUsers
	if resource == "groups" {
		perm = permGroups
	}
	return r.pager(ctx, "GET /"+resource+"/delta (latest)", perm, info, true, func(rd io.Reader) (string, string, error) {
		var p struct {
			Value     *[]json.RawMessage `json:"value"`
			NextLink  string             `json:"@odata.nextLink"`
			DeltaLink string             `json:"@odata.deltaLink"`
		}
		if err := strictDecode(rd, &p); err != nil {
			return "", "", err
		}
		return p.NextLink, p.DeltaLink, nil
	})
}

func (r *Reader) listUsers(ctx context.Context, ps *progressSink) ([]directory.User, error) {
	top := int32(r.cfg.PageSize)
	info, err := users.NewUsersRequestBuilderInternal(map[string]string{}, r.adapter).ToGetRequestInformation(ctx,
		&users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: UserSelect, Top: &top}})
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "building GET /users")
	}
	// Pages are kept apart and joined once: appending 100,000 users of ~200 bytes one by one
	// copies the growing slice again and again.
	var pages [][]directory.User
	total := 0
	_, err = r.pager(ctx, "GET /users", permUsers, info, false, func(rd io.Reader) (string, string, error) {
		page := make([]directory.User, 0, r.cfg.PageSize)
		next, dl, err := decodeUsers(rd, ps, func(u *userJSON) { page = append(page, u.user()) })
		r.pace.sawUsers(len(page))
		pages = append(pages, page)
		total += len(page)
		return next, dl, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]directory.User, 0, total)
	for _, p := range pages {
		out = append(out, p...)
	}
	return out, nil
}

// decodeUsers decodes one users page (a list or a delta), checks every entry and hands it to each.
func decodeUsers(rd io.Reader, ps *progressSink, each func(*userJSON)) (next, deltaLink string, err error) {
	var p userPage
	if err := strictDecode(rd, &p); err != nil {
		return "", "", err
	}
	if p.Value == nil {
		return "", "", errors.New("no value array")
	}
	for i := range *p.Value {
		u := &(*p.Value)[i]
		if err := u.check(); err != nil {
			return "", "", err
		}
		each(u)
	}
	ps.add("users", len(*p.Value), 0, 0)
	return p.NextLink, p.DeltaLink, nil
}

// groupsDelta walks groups delta from link (or from the start with GroupSelect), collecting
// groups by id and handing every entry (a group may recur across pages while its members span
// them) to each. Groups removed (@removed) are returned through removedOut when non-nil.
func (r *Reader) groupsDelta(ctx context.Context, link string, ps *progressSink, each func(g groupJSON, first bool) error) (string, []directory.Group, error) {
	var info *abs.RequestInformation
	var err error
	if link == "" {
		info, err = groups.NewDeltaRequestBuilderInternal(map[string]string{}, r.adapter).ToGetRequestInformation(ctx,
			&groups.DeltaRequestBuilderGetRequestConfiguration{QueryParameters: &groups.DeltaRequestBuilderGetQueryParameters{Select: GroupSelect}})
		if err != nil {
			return "", nil, apperr.Wrap(err, apperr.Internal, "building GET /groups/delta")
		}
	} else if info, err = r.linkInfo("GET /groups/delta", link); err != nil {
		return "", nil, err
	}
	index := map[string]int{}
	var out []directory.Group
	dl, err := r.pager(ctx, "GET /groups/delta", permGroups, info, true, func(rd io.Reader) (string, string, error) {
		var p groupPage
		if err := strictDecode(rd, &p); err != nil {
			return "", "", err
		}
		if p.Value == nil {
			return "", "", errors.New("no value array")
		}
		newGroups, members := 0, 0
		for _, g := range *p.Value {
			if g.ID == "" {
				return "", "", errors.New("a group without an id")
			}
			_, seen := index[g.ID]
			if !seen && g.Removed == nil && g.DisplayName != nil {
				if len(g.GroupTypes) == 0 {
					g.GroupTypes = nil // [] and absent mean the same; keep one form
				}
				index[g.ID] = len(out)
				out = append(out, directory.Group{ID: g.ID, DisplayName: *g.DisplayName, GroupTypes: g.GroupTypes,
					SecurityEnabled: g.SecurityEnabled, MailEnabled: g.MailEnabled})
				newGroups++
			}
			if err := each(g, !seen); err != nil {
				return "", "", err
			}
			members += len(g.Members)
		}
		ps.add("groups", 0, newGroups, members)
		return p.NextLink, p.DeltaLink, nil
	})
	return dl, out, err
}

// ReadDelta reads the changes since links: users and groups delta in parallel. It returns a
// GraphDeltaExpired error when Graph no longer knows a token (410 or syncStateNotFound), or
// when a link is missing; the caller then does a full read.
func (r *Reader) ReadDelta(ctx context.Context, links directory.DeltaLinks, progress func(Progress)) (*directory.Delta, error) {
	if links.Users == "" || links.Groups == "" {
		return nil, apperr.New(apperr.GraphDeltaExpired, "no stored delta link; a full read is needed")
	}
	// Stored links from another Graph endpoint (the cloud or the endpoint override changed) are
	// never followed, so the token stays on the configured host; they are as good as expired.
	for _, l := range []string{links.Users, links.Groups} {
		if u, err := url.Parse(l); err != nil || u.Scheme != "https" || !strings.EqualFold(u.Host, r.base.Host) {
			return nil, apperr.New(apperr.GraphDeltaExpired, "the stored delta links are not for %s; a full read is needed", r.base.Host)
		}
	}
	ps := &progressSink{fn: progress, r: r}
	d := &directory.Delta{}
	err := r.parallel(ctx,
		func(ctx context.Context) error {
			info, err := r.linkInfo("GET /users/delta", links.Users)
			if err != nil {
				return err
			}
			changed := map[string]int{}
			removedSet := map[string]bool{}
			d.Links.Users, err = r.pager(ctx, "GET /users/delta", permUsers, info, true, func(rd io.Reader) (string, string, error) {
				return decodeUsers(rd, ps, func(u *userJSON) {
					if u.Removed != nil {
						removedSet[u.ID] = true
						return
					}
					delete(removedSet, u.ID)
					if k, ok := changed[u.ID]; ok {
						d.Users[k] = u.user() // a replay: the later state wins
						return
					}
					changed[u.ID] = len(d.Users)
					d.Users = append(d.Users, u.user())
				})
			})
			kept := d.Users[:0]
			for _, u := range d.Users {
				if !removedSet[u.ID] {
					kept = append(kept, u)
				}
			}
			d.Users = kept
			for id := range removedSet {
				d.RemovedUsers = append(d.RemovedUsers, id)
			}
			return err
		},
		func(ctx context.Context) error {
			type pair struct{ g, m string }
			state := map[pair]int{} // index into edges
			var edges []directory.MemberEdge
			var removedEdge []bool
			removedGroups := map[string]bool{}
			var err error
			var gs []directory.Group
			d.Links.Groups, gs, err = r.groupsDelta(ctx, links.Groups, ps, func(g groupJSON, _ bool) error {
				if g.Removed != nil {
					removedGroups[g.ID] = true
					return nil
				}
				for _, m := range g.Members {
					mem, err := member(m)
					if err != nil {
						return err
					}
					k := pair{g.ID, mem.ID}
					if i, ok := state[k]; ok {
						edges[i], removedEdge[i] = directory.MemberEdge{GroupID: g.ID, Member: mem}, m.Removed != nil
						continue
					}
					state[k] = len(edges)
					edges = append(edges, directory.MemberEdge{GroupID: g.ID, Member: mem})
					removedEdge = append(removedEdge, m.Removed != nil)
				}
				return nil
			})
			for _, g := range gs {
				if !removedGroups[g.ID] {
					d.Groups = append(d.Groups, g)
				}
			}
			for id := range removedGroups {
				d.RemovedGroups = append(d.RemovedGroups, id)
			}
			for i, e := range edges {
				if removedGroups[e.GroupID] {
					continue
				}
				if removedEdge[i] {
					d.MembersRemoved = append(d.MembersRemoved, e)
				} else {
					d.MembersAdded = append(d.MembersAdded, e)
				}
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	return d, nil
}
