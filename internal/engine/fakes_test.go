package engine

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// In-memory ports, so that the engine's rules and its run lifecycle are tested in milliseconds:
// a tenant that is a snapshot the test edits, an Atlassian directory that is two maps with
// SCIM's uniqueness rules, an organization that is two lists, and a state that is maps (the
// lock is memLock, lifecycle_fakes_test.go). The tests through the real clients against the
// emulators are in internal/reliability.

// memSource is the Graph side. Each read hands out a new delta link that remembers the tenant as
// that read saw it; ReadDelta returns the changes from there to the tenant now, as Graph's delta
// query does (a link read again gives the same changes again).
type memSource struct {
	mu      sync.Mutex
	snap    *directory.Snapshot // the tenant now
	err     error               // every read fails with it
	expired bool                // ReadDelta answers GraphDeltaExpired
	reads   int                 // ReadFull and ReadDelta calls
	full    int                 // ReadFull calls
	links   map[string]*directory.Snapshot
	handed  directory.DeltaLinks // the links of the last read
}

func newMemSource(snap *directory.Snapshot) *memSource {
	return &memSource{snap: snap, links: map[string]*directory.Snapshot{}}
}

func cloneSnapshot(s *directory.Snapshot) *directory.Snapshot {
	cp := *s
	cp.Domains = slices.Clone(s.Domains)
	cp.Users = slices.Clone(s.Users)
	cp.Groups = slices.Clone(s.Groups)
	cp.Members = make(map[string][]directory.Member, len(s.Members))
	for k, v := range s.Members {
		cp.Members[k] = slices.Clone(v)
	}
	return &cp
}

// edit changes the tenant under the source's lock.
func (s *memSource) edit(f func(*directory.Snapshot)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.snap)
}

func (s *memSource) link() directory.DeltaLinks {
	if s.links == nil {
		s.links = map[string]*directory.Snapshot{}
	}
	id := "delta-" + strconv.Itoa(len(s.links)+1)
	s.links[id] = cloneSnapshot(s.snap)
	s.handed = directory.DeltaLinks{Users: id + "/users", Groups: id + "/groups"}
	return s.handed
}

func (s *memSource) ReadFull(context.Context) (*directory.Snapshot, directory.DeltaLinks, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	s.full++
	if s.err != nil {
		return nil, directory.DeltaLinks{}, s.err
	}
	return cloneSnapshot(s.snap), s.link(), nil
}

func (s *memSource) ReadDelta(_ context.Context, l directory.DeltaLinks) (*directory.Delta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.err != nil {
		return nil, s.err
	}
	base, ok := s.links[strings.TrimSuffix(l.Users, "/users")]
	if !ok || s.expired || l.Groups != strings.TrimSuffix(l.Users, "/users")+"/groups" {
		return nil, apperr.New(apperr.GraphDeltaExpired, "the delta link expired")
	}
	d := snapshotDelta(base, s.snap)
	d.Links = s.link()
	return d, nil
}

// ReadTenant makes memSource a TenantSource: Graph's delta carries no tenant or domains.
func (s *memSource) ReadTenant(context.Context) (directory.Tenant, []directory.Domain, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap.Tenant, slices.Clone(s.snap.Domains), s.err
}

// snapshotDelta is what Graph's users, groups and members delta report from a to b.
func snapshotDelta(a, b *directory.Snapshot) *directory.Delta {
	d := &directory.Delta{}
	d.Users, d.RemovedUsers = diffByID(a.Users, b.Users, func(u directory.User) string { return u.ID },
		func(old, u directory.User) bool { return old != u })
	d.Groups, d.RemovedGroups = diffByID(a.Groups, b.Groups, func(g directory.Group) string { return g.ID },
		func(old, g directory.Group) bool {
			return old.DisplayName != g.DisplayName || !slices.Equal(old.GroupTypes, g.GroupTypes) ||
				old.SecurityEnabled != g.SecurityEnabled || old.MailEnabled != g.MailEnabled
		})
	memberID := func(m directory.Member) string { return m.ID }
	kept := func(directory.Member, directory.Member) bool { return false } // a member is there or not
	for _, g := range b.Groups {
		added, _ := diffByID(a.Members[g.ID], b.Members[g.ID], memberID, kept)
		for _, m := range added {
			d.MembersAdded = append(d.MembersAdded, directory.MemberEdge{GroupID: g.ID, Member: m})
		}
		gone, _ := diffByID(b.Members[g.ID], a.Members[g.ID], memberID, kept) // a's members b lacks
		for _, m := range gone {
			d.MembersRemoved = append(d.MembersRemoved, directory.MemberEdge{GroupID: g.ID, Member: m})
		}
	}
	return d
}

// diffByID compares two lists by id: the items of b that are new or changed (changed says, given
// the old one), in b's order, and the ids of a that b no longer has, in a's order.
func diffByID[T any](a, b []T, id func(T) string, changed func(old, now T) bool) (upserted []T, removed []string) {
	old := make(map[string]T, len(a))
	for _, x := range a {
		old[id(x)] = x
	}
	has := make(map[string]bool, len(b))
	for _, x := range b {
		has[id(x)] = true
		if o, ok := old[id(x)]; !ok || changed(o, x) {
			upserted = append(upserted, x)
		}
	}
	for _, x := range a {
		if !has[id(x)] {
			removed = append(removed, id(x))
		}
	}
	return upserted, removed
}

// memTarget is the SCIM side with Atlassian's uniqueness rules: userName (any case) and
// externalId of users, displayName (any case) and externalId of groups; a create that breaks one
// is a 409 whose message names the attribute, as Atlassian's detail does. outside holds the
// names of organization groups the SCIM directory cannot see: creating one is a 409 that no
// lookup explains.
type memTarget struct {
	mu        sync.Mutex
	users     map[string]User
	groups    map[string]Group
	outside   map[string]bool // lower-case group names
	next      int
	writes    int
	calls     map[string]int
	verified  int
	verifyErr error
	// fail, when set, is asked before each call (name of the method, the user name, group name
	// or id it is about) and fails the call with what it returns.
	fail func(call, key string) error
	// createdUser, when set, replaces the user a create returns (a target answering with an
	// account that is not the one asked for).
	createdUser func(asked User) (User, bool)
}

func newMemTarget() *memTarget {
	return &memTarget{users: map[string]User{}, groups: map[string]Group{}, outside: map[string]bool{}, calls: map[string]int{}}
}

var errMemNotFound = apperr.New(apperr.AtlassianNotFound, "not found")

// call counts a call and asks fail; it is called with t.mu held.
func (t *memTarget) call(name, key string, write bool) error {
	t.calls[name]++
	if write {
		t.writes++
	}
	if t.fail != nil {
		return t.fail(name, key)
	}
	return nil
}

func (t *memTarget) Verify(context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.verified++
	return t.verifyErr
}

func (t *memTarget) id(prefix string) string {
	t.next++
	return fmt.Sprintf("%s%d", prefix, t.next)
}

// putUser and putGroup add a user or group made by hand in Atlassian (no write counted).
func (t *memTarget) putUser(u User) User {
	return put(t, t.users, u, "su", func(u *User) *string { return &u.ID })
}

func (t *memTarget) putGroup(g Group) Group {
	return put(t, t.groups, g, "sg", func(g *Group) *string { return &g.ID })
}

// put stores v in m under its id (id points at it), given a new one with prefix when it has none.
func put[V any](t *memTarget, m map[string]V, v V, prefix string, id func(*V) *string) V {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := id(&v); *p == "" {
		*p = t.id(prefix)
	}
	m[*id(&v)] = v
	return v
}

func sortedValues[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// each hands the items to fn in order, as a list call does after its request (err) succeeded,
// and stops at fn's first error.
func each[T any](err error, items []T, fn func(T) error) error {
	if err != nil {
		return err
	}
	for _, x := range items {
		if err := fn(x); err != nil {
			return err
		}
	}
	return nil
}

func (t *memTarget) ListUsers(_ context.Context, fn func(User) error) error {
	return list(t, "ListUsers", t.users, sameUser, fn)
}

func (t *memTarget) ListGroups(_ context.Context, fn func(Group) error) error {
	return list(t, "ListGroups", t.groups, withOwnMembers, fn)
}

// list is a list call: counted and the failure hook asked under the lock, then the objects of m
// in id order, as copy hands them out, go to fn outside it.
func list[V any](t *memTarget, call string, m map[string]V, copy func(V) V, fn func(V) error) error {
	t.mu.Lock()
	err := t.call(call, "", false)
	vs := sortedValues(m)
	for i := range vs {
		vs[i] = copy(vs[i])
	}
	t.mu.Unlock()
	return each(err, vs, fn)
}

// sameUser hands a user out as it is: a User holds no slices the caller could share.
func sameUser(u User) User { return u }

func (t *memTarget) GetUser(_ context.Context, id string) (User, error) {
	return get(t, "GetUser", id, t.users, sameUser)
}

func (t *memTarget) GetGroup(_ context.Context, id string) (Group, error) {
	return get(t, "GetGroup", id, t.groups, withOwnMembers)
}

// ask is a read call: it is counted and the failure hook asked (under the lock), then f answers
// with the object and whether there is one.
func ask[V any](t *memTarget, call, key string, f func() (V, bool)) (V, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.call(call, key, false); err != nil {
		var zero V
		return zero, false, err
	}
	v, ok := f()
	return v, ok, nil
}

// get reads the object of id in m as copy hands it out, or a 404.
func get[V any](t *memTarget, call, id string, m map[string]V, copy func(V) V) (V, error) {
	v, ok, err := ask(t, call, id, func() (V, bool) {
		v, ok := m[id]
		return copy(v), ok
	})
	if err == nil && !ok {
		err = errMemNotFound
	}
	return v, err
}

// edit is a write call on the object of id in m: counted and the failure hook asked (under the
// lock), a 404 when there is none; f changes a copy, stored back only when f succeeds.
func edit[V any](t *memTarget, call, id string, m map[string]V, f func(*V) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.call(call, id, true); err != nil {
		return err
	}
	v, ok := m[id]
	if !ok {
		return errMemNotFound
	}
	if err := f(&v); err != nil {
		return err
	}
	m[id] = v
	return nil
}

// withOwnMembers is g with its own member list: what a caller does to it stays out of the fake.
func withOwnMembers(g Group) Group {
	g.Members = slices.Clone(g.Members)
	return g
}

// where is the first object of m, in id order, that match accepts, as copy hands it out.
func where[V any](m map[string]V, match func(V) bool, copy func(V) V) (V, bool) {
	for _, v := range sortedValues(m) {
		if match(v) {
			return copy(v), true
		}
	}
	var zero V
	return zero, false
}

func (t *memTarget) userWhere(match func(User) bool) (User, bool) {
	return where(t.users, match, sameUser)
}

func (t *memTarget) groupNamed(name string) (Group, bool) {
	return where(t.groups, func(g Group) bool { return strings.EqualFold(g.DisplayName, name) }, withOwnMembers)
}

func (t *memTarget) FindUserByExternalID(_ context.Context, ext string) (User, bool, error) {
	return ask(t, "FindUserByExternalID", ext, func() (User, bool) {
		return t.userWhere(func(u User) bool { return u.ExternalID == ext })
	})
}

func (t *memTarget) FindUserByUserName(_ context.Context, name string) (User, bool, error) {
	return ask(t, "FindUserByUserName", name, func() (User, bool) {
		return t.userWhere(func(u User) bool { return strings.EqualFold(u.UserName, name) })
	})
}

func (t *memTarget) FindGroupByDisplayName(_ context.Context, name string) (Group, bool, error) {
	return ask(t, "FindGroupByDisplayName", name, func() (Group, bool) { return t.groupNamed(name) })
}

func conflict(resource, attr, value string) error {
	return apperr.New(apperr.AtlassianConflict, "Resource [%s]: with %s[%s] already exists.", resource, attr, value)
}

func (t *memTarget) CreateUser(_ context.Context, u User) (User, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.call("CreateUser", u.UserName, true); err != nil {
		return User{}, err
	}
	if t.createdUser != nil {
		if got, ok := t.createdUser(u); ok {
			return got, nil
		}
	}
	if _, dup := t.userWhere(func(o User) bool { return strings.EqualFold(o.UserName, u.UserName) }); dup {
		return User{}, conflict("USER", "userName", u.UserName)
	}
	if _, dup := t.userWhere(func(o User) bool { return u.ExternalID != "" && o.ExternalID == u.ExternalID }); dup {
		return User{}, conflict("USER", "externalId", u.ExternalID)
	}
	u.ID = t.id("su")
	t.users[u.ID] = u
	return u, nil
}

// setAttr writes one SCIM attribute path of DiffUser's to u.
func setAttr(u *User, path, v string) error {
	fields := map[string]*string{AttrUserName: &u.UserName, AttrExternalID: &u.ExternalID, AttrDisplayName: &u.DisplayName,
		AttrGivenName: &u.GivenName, AttrFamilyName: &u.FamilyName, AttrEmail: &u.Email, AttrTitle: &u.Title,
		AttrPreferredLanguage: &u.PreferredLanguage, AttrMobilePhone: &u.MobilePhone, AttrWorkPhone: &u.WorkPhone, AttrDepartment: &u.Department}
	if path == AttrActive {
		u.Active = v == "true"
		return nil
	}
	f, ok := fields[path]
	if !ok {
		return apperr.New(apperr.AtlassianRejected, "unknown attribute %s", path)
	}
	*f = v
	return nil
}

func (t *memTarget) PatchUser(_ context.Context, id string, changes []report.Change) error {
	return edit(t, "PatchUser", id, t.users, func(u *User) error {
		for _, c := range changes {
			if err := setAttr(u, c.Attribute, c.New); err != nil {
				return err
			}
		}
		return nil
	})
}

func (t *memTarget) SetActive(_ context.Context, id string, active bool) error {
	return edit(t, "SetActive", id, t.users, func(u *User) error {
		u.Active = active
		return nil
	})
}

func (t *memTarget) CreateGroup(_ context.Context, name, ext string) (Group, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.call("CreateGroup", name, true); err != nil {
		return Group{}, err
	}
	if _, dup := t.groupNamed(name); dup || t.outside[strings.ToLower(name)] {
		return Group{}, conflict("GROUP", "displayName", name)
	}
	for _, g := range t.groups {
		if ext != "" && g.ExternalID == ext {
			return Group{}, conflict("GROUP", "externalId", ext)
		}
	}
	g := Group{ID: t.id("sg"), DisplayName: name, ExternalID: ext}
	t.groups[g.ID] = g
	return g, nil
}

func (t *memTarget) members(call, id string, users []string, f func(*Group, string)) error {
	return edit(t, call, id, t.groups, func(g *Group) error {
		for _, u := range users {
			f(g, u)
		}
		return nil
	})
}

func (t *memTarget) AddMembers(_ context.Context, id string, users []string) error {
	return t.members("AddMembers", id, users, func(g *Group, u string) {
		if !slices.Contains(g.Members, u) {
			g.Members = append(g.Members, u)
		}
	})
}

func (t *memTarget) RemoveMembers(_ context.Context, id string, users []string) error {
	return t.members("RemoveMembers", id, users, func(g *Group, u string) {
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == u })
	})
}

func (t *memTarget) DeleteGroup(_ context.Context, id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.call("DeleteGroup", id, true); err != nil {
		return err
	}
	if _, ok := t.groups[id]; !ok {
		return errMemNotFound
	}
	delete(t.groups, id)
	return nil
}

// memOrg is the Organizations API side: groups outside the SCIM directory and the domains.
type memOrg struct {
	groups  []OrgGroup
	domains []OrgDomain
	lookups int
}

func (o *memOrg) FindGroupsByName(_ context.Context, names []string) ([]OrgGroup, error) {
	o.lookups++
	var out []OrgGroup
	for _, g := range o.groups {
		if slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, g.Name) }) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (o *memOrg) ListDomains(context.Context) ([]OrgDomain, error) { return o.domains, nil }

// memState is the store: maps, and a journal per run.
type memState struct {
	mu         sync.Mutex
	maps       map[string]Mapping // by kind and Entra id
	runs       map[string]Run
	journal    map[string]map[int]JournalEntry
	delta      *DeltaState
	decisions  map[string]string
	journalErr error // JournalAdd fails with it
	// frozen drops every later journal mark and mapping, as a process killed before its writer
	// flushed leaves them.
	frozen bool
}

func newMemState() *memState {
	return &memState{maps: map[string]Mapping{}, runs: map[string]Run{}, journal: map[string]map[int]JournalEntry{}, decisions: map[string]string{}}
}

func (s *memState) Mappings(context.Context, string) ([]Mapping, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedValues(s.maps), nil
}

func (s *memState) mapping(kind, entraID string) (Mapping, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.maps[kind+"/"+entraID]
	return m, ok
}

func (s *memState) PutMappings(_ context.Context, _ string, ms []Mapping) error {
	return s.unlessFrozen(func() error {
		for _, m := range ms {
			if m.SCIMID == "" {
				delete(s.maps, m.Kind+"/"+m.EntraID)
			} else {
				s.maps[m.Kind+"/"+m.EntraID] = m
			}
		}
		return nil
	})
}

// unlessFrozen makes a write under the lock, or drops it once the state is frozen.
func (s *memState) unlessFrozen(write func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		return nil
	}
	return write()
}

func (s *memState) PutRun(ctx context.Context, r Run) error {
	if err := ctx.Err(); err != nil {
		return err // as SQLite does: a canceled context writes nothing
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[r.ID] = r
	return nil
}

func (s *memState) Runs(_ context.Context, _ string, status string, limit int) ([]Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Run
	for _, r := range s.runs {
		if status == "" || r.Status == status {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Run) int { return b.Started.Compare(a.Started) })
	return out[:min(limit, len(out))], nil
}

func (s *memState) JournalAdd(_ context.Context, runID string, es iter.Seq[JournalEntry]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journalErr != nil {
		return s.journalErr
	}
	if s.journal[runID] == nil {
		s.journal[runID] = map[int]JournalEntry{}
	}
	for e := range es {
		// Like the store, keep the engine's state as given and refuse none: the engine, which
		// owns the states (model.go), must say that a unit is pending.
		if e.State == "" {
			return fmt.Errorf("journal entry %d without a state", e.Seq)
		}
		s.journal[runID][e.Seq] = e
	}
	return nil
}

func (s *memState) JournalMark(_ context.Context, runID string, es []JournalEntry) error {
	return s.unlessFrozen(func() error {
		for _, e := range es {
			old, ok := s.journal[runID][e.Seq]
			if !ok {
				return errors.New("mark of an entry never added")
			}
			old.State, old.Result = e.State, e.Result
			s.journal[runID][e.Seq] = old
		}
		return nil
	})
}

func (s *memState) Journal(_ context.Context, runID, state string) ([]JournalEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JournalEntry
	for _, e := range s.journal[runID] {
		if state == "" || e.State == state {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b JournalEntry) int { return a.Seq - b.Seq })
	return out, nil
}

func (s *memState) DeltaState(context.Context, string) (*DeltaState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.delta == nil {
		return nil, nil
	}
	d := *s.delta
	return &d, nil
}

func (s *memState) SetDeltaState(_ context.Context, _ string, d *DeltaState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d != nil {
		cp := *d
		d = &cp
	}
	s.delta = d
	return nil
}

func (s *memState) Decisions(context.Context, string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.decisions), nil
}

// SetDecision makes memState the engine's heldStore, as the store is.
func (s *memState) SetDecision(_ context.Context, _ string, groupEntraID, decision string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decisions[groupEntraID] = decision
	return nil
}
