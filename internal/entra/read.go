package entra

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"

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
	info := first
	for {
		var next, dl string
		err := r.send(ctx, request{name: name, perm: perm, info: info, decode: func(rd io.Reader) error {
			var err error
			next, dl, err = decode(rd)
			return err
		}})
		if err != nil {
			return "", err
		}
		switch {
		case next != "":
			if info, err = r.linkInfo(name, next); err != nil {
				return "", err
			}
		case delta && dl == "":
			return "", apperr.Wrap(errNoLink, apperr.GraphBadResponse, "%s ended without a deltaLink", name)
		default:
			return dl, nil
		}
	}
}

// ReadFull reads the whole directory: users and groups (with direct members) in parallel.
//
// Cost in Graph resource units, for U users, G groups and M direct memberships:
// organization 1 + domains 1 + users delta "latest" 1 + ceil(U/999) user pages at 1 each (2 for a
// list, −1 for $select) + groups delta pages at 1 each, about (G+M)/page-size pages. For 100,000
// users, 10,000 groups and 1,000,000 memberships with 200 entries per delta page that is about
// 3 + 101 + 5,100 ≈ 5,200 units (5,221 measured against the emulator), against 10 + 10,000 × 2 = 20,010 for /groups plus one /members
// request per group, or 10,000 × 4 = 40,000 for transitiveMembers per group.
//
// The users deltaLink comes from $deltatoken=latest requested before the listing starts, so a
// change made during the listing shows up in the next delta (perhaps twice, which is harmless),
// and it costs one request instead of a second full pass over users/delta.
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
			links.Users, err = r.usersLatest(ctx)
			if err != nil {
				return err
			}
			snap.Users, err = r.listUsers(ctx, ps)
			return err
		},
		func(ctx context.Context) error {
			var err error
			var gs []directory.Group
			// A user is a member of many groups: one copy of each id string instead of one per
			// membership saves about 40 MB on a million memberships.
			intern := map[string]string{}
			// A group whose displayName comes null is kept, nameless, so the engine reports it
			// (no_group_name) instead of losing it and its members without a word.
			nameless := map[string]bool{}
			links.Groups, gs, err = r.groupsDelta(ctx, "", ps, func(g groupJSON, first bool) error {
				if first && g.Removed == nil && g.DisplayName == nil {
					nameless[g.ID] = true
				}
				for _, m := range g.Members {
					mem, err := member(m)
					if err != nil {
						return err
					}
					if id, ok := intern[mem.ID]; ok {
						mem.ID = id
					} else {
						intern[mem.ID] = mem.ID
					}
					if m.Removed != nil {
						snap.Members[g.ID] = removeMember(snap.Members[g.ID], mem.ID)
						continue
					}
					snap.Members[g.ID] = append(snap.Members[g.ID], mem)
				}
				return nil
			})
			for _, g := range gs {
				delete(nameless, g.ID)
			}
			for id := range nameless {
				gs = append(gs, directory.Group{ID: id})
			}
			snap.Groups = gs
			return err
		})
	if err != nil {
		return nil, directory.DeltaLinks{}, err
	}
	for id, ms := range snap.Members {
		snap.Members[id] = dedupeMembers(ms)
	}
	return snap, links, nil
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

func (r *Reader) usersLatest(ctx context.Context) (string, error) {
	u := r.cfg.BaseURL + "/users/delta()?$deltatoken=latest&$select=" + url.QueryEscape(strings.Join(UserSelect, ","))
	info, err := users.NewDeltaRequestBuilder(u, r.adapter).ToGetRequestInformation(ctx, nil)
	if err != nil {
		return "", apperr.Wrap(err, apperr.Internal, "building GET /users/delta")
	}
	var link string
	link, err = r.pager(ctx, "GET /users/delta (latest)", permUsers, info, true, func(rd io.Reader) (string, string, error) {
		var p userPage
		if err := strictDecode(rd, &p); err != nil {
			return "", "", err
		}
		return p.NextLink, p.DeltaLink, nil
	})
	return link, err
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
