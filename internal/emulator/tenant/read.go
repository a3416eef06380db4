package tenant

import (
	"slices"
	"sort"

	"github.com/idpsync/idpsync/internal/directory"
)

// Version is the tenant's change counter; delta tokens are built from it.
func (t *Tenant) Version() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.version
}

// UserCount is the number of users that are not deleted.
func (t *Tenant) UserCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.userIDs)
}

// Snapshot is the ground truth as a directory snapshot, for tests to compare a read against.
func (t *Tenant) Snapshot() *directory.Snapshot {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s := &directory.Snapshot{
		Tenant:  t.tenantLocked(),
		Domains: slices.Clone(t.Domains),
		Members: make(map[string][]directory.Member, len(t.groupIDs)),
	}
	for _, id := range t.userIDs {
		s.Users = append(s.Users, t.users[id].User)
	}
	for _, id := range t.groupIDs {
		g := t.groups[id]
		s.Groups = append(s.Groups, g.Group)
		if len(g.Members) > 0 {
			s.Members[id] = slices.Clone(g.Members)
		}
	}
	return s
}

// DomainList is the tenant's domains as /domains reports them.
func (t *Tenant) DomainList() []directory.Domain {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.Domains)
}

// Org is the organization as /organization reports it.
func (t *Tenant) Org() directory.Tenant {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.tenantLocked()
}

func (t *Tenant) tenantLocked() directory.Tenant {
	out := directory.Tenant{ID: t.ID, DisplayName: t.DisplayName}
	for _, d := range t.Domains {
		if !d.IsVerified {
			continue
		}
		out.VerifiedDomains = append(out.VerifiedDomains, d.Name)
		if d.IsInitial {
			out.InitialDomain = d.Name
		}
		if d.IsDefault {
			out.DefaultDomain = d.Name
		}
	}
	return out
}

// UsersAfter returns up to limit users with an id greater than after, in id order. Paging by the
// last id keeps pages stable while the tenant changes, as Graph's opaque skip tokens do.
func (t *Tenant) UsersAfter(after string, limit int) (page []directory.User, more bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return pageAfter(t.userIDs, after, limit, func(id string) directory.User { return t.users[id].User })
}

// GroupsAfter is UsersAfter for groups.
func (t *Tenant) GroupsAfter(after string, limit int) (page []directory.Group, more bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return pageAfter(t.groupIDs, after, limit, func(id string) directory.Group { return t.groups[id].Group })
}

// pageAfter is the keyset page of up to limit objects whose sorted ids come after the given
// one, each read by get, and whether more follow.
func pageAfter[T any](sorted []string, after string, limit int, get func(id string) T) (page []T, more bool) {
	i := sort.SearchStrings(sorted, after)
	if i < len(sorted) && sorted[i] == after {
		i++
	}
	end := min(i+limit, len(sorted))
	for _, id := range sorted[i:end] {
		page = append(page, get(id))
	}
	return page, end < len(sorted)
}

// User returns a user that is not deleted.
func (t *Tenant) User(id string) (directory.User, bool) {
	return readLive(t, t.users, id, func(u *UserRec) directory.User { return u.User })
}

// Group returns a group that is not deleted.
func (t *Tenant) Group(id string) (directory.Group, bool) {
	return readLive(t, t.groups, id, func(g *GroupRec) directory.Group { return g.Group })
}

// Members returns a group's direct members in Graph's order.
func (t *Tenant) Members(groupID string) ([]directory.Member, bool) {
	return readLive(t, t.groups, groupID, func(g *GroupRec) []directory.Member { return slices.Clone(g.Members) })
}

// readLive hands out, under the read lock, what get makes of the record of id, unless it is
// missing or deleted (a tombstone kept for delta).
func readLive[R interface{ removed() string }, T any](t *Tenant, recs map[string]R, id string, get func(R) T) (T, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var zero T
	r, ok := recs[id]
	if !ok || r.removed() != "" {
		return zero, false
	}
	return get(r), true
}

func (u *UserRec) removed() string  { return u.Removed }
func (g *GroupRec) removed() string { return g.Removed }

// TransitiveMembers returns every object reachable through nesting, each once, the group itself
// excluded even through a cycle.
func (t *Tenant) TransitiveMembers(groupID string) ([]directory.Member, bool) {
	return readLive(t, t.groups, groupID, t.transitiveMembers)
}

// transitiveMembers walks g's nesting breadth-first (caller holds t.mu).
func (t *Tenant) transitiveMembers(g *GroupRec) []directory.Member {
	groupID := g.ID
	seen := map[string]bool{groupID: true}
	var out []directory.Member
	queue := []*GroupRec{g}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, m := range cur.Members {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			out = append(out, m)
			if m.Kind == directory.MemberGroup {
				if sub, ok := t.groups[m.ID]; ok && sub.Removed == "" {
					queue = append(queue, sub)
				}
			}
		}
	}
	return out
}

// UserDeltaItem is one entry of a users delta: a full user, or an id with a removal reason.
type UserDeltaItem struct {
	User    directory.User
	Removed string
}

// UserDelta returns the users changed after version since, in id order, and the version the
// answer is complete up to. since 0 is the initial round: every user that exists.
func (t *Tenant) UserDelta(since uint64) ([]UserDeltaItem, uint64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []UserDeltaItem
	for id, u := range t.users {
		switch {
		case since == 0 && u.Removed == "":
			out = append(out, UserDeltaItem{User: u.User})
		case since > 0 && u.Changed > since:
			if u.Removed != "" {
				out = append(out, UserDeltaItem{User: directory.User{ID: id}, Removed: u.Removed})
			} else {
				out = append(out, UserDeltaItem{User: u.User})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User.ID < out[j].User.ID })
	return out, t.version
}

// DeltaMember is one entry of members@delta.
type DeltaMember struct {
	directory.Member
	Removed bool
}

// GroupDeltaItem is one entry of a groups delta.
type GroupDeltaItem struct {
	Group   directory.Group
	Removed string
	Members []DeltaMember
}

// GroupDelta returns the groups whose properties or direct members changed after since, with
// the net membership changes, in id order. since 0 is the initial round: every group with all of
// its members as additions.
func (t *Tenant) GroupDelta(since uint64) ([]GroupDeltaItem, uint64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	items := map[string]*GroupDeltaItem{}
	if since == 0 {
		for _, id := range t.groupIDs {
			g := t.groups[id]
			it := &GroupDeltaItem{Group: g.Group, Members: make([]DeltaMember, len(g.Members))}
			for i, m := range g.Members {
				it.Members[i] = DeltaMember{Member: m}
			}
			items[id] = it
		}
	} else {
		for id, g := range t.groups {
			if g.Changed > since {
				items[id] = &GroupDeltaItem{Group: g.Group, Removed: g.Removed}
			}
		}
		// Net membership change per (group, member): the current state decides add or removal.
		type pair struct{ g, m string }
		done := map[pair]bool{}
		for i := len(t.memLog) - 1; i >= 0 && t.memLog[i].version > since; i-- {
			c := t.memLog[i]
			p := pair{c.group, c.member.ID}
			if done[p] {
				continue
			}
			done[p] = true
			g := t.groups[c.group]
			if g.Removed != "" {
				continue // a removed group is reported as removed, not member by member
			}
			it := items[c.group]
			if it == nil {
				it = &GroupDeltaItem{Group: g.Group}
				items[c.group] = it
			}
			present := slices.ContainsFunc(g.Members, func(m directory.Member) bool { return m.ID == c.member.ID })
			it.Members = append(it.Members, DeltaMember{Member: c.member, Removed: !present})
		}
		for _, it := range items {
			sort.Slice(it.Members, func(i, j int) bool { return it.Members[i].ID < it.Members[j].ID })
		}
	}
	out := make([]GroupDeltaItem, 0, len(items))
	for _, it := range items {
		out = append(out, *it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group.ID < out[j].Group.ID })
	return out, t.version
}
