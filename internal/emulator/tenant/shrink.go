package tenant

import "github.com/idpsync/idpsync/internal/directory"

// EmptyGroups removes every direct user member of the first n groups (by id) that have some, as
// one new tenant version, and returns the memberships removed: an admin emptying groups in Entra
// (issue 14 point 2's mass removal).
func (t *Tenant) EmptyGroups(n int) int {
	removed := 0
	t.edit(func(v uint64) {
		for _, gid := range t.groupIDs {
			if n == 0 {
				break
			}
			users := directUsers(t.groups[gid])
			if len(users) == 0 {
				continue
			}
			for _, id := range users {
				if _, ok := t.removeMember(gid, id, v); ok {
					removed++
				}
			}
			t.groups[gid].Changed = v
			n--
		}
	})
	return removed
}

// DeleteUsers deletes all but the first keep users (by id), as one new tenant version; each
// leaves its groups, as Graph does. It returns how many were deleted.
func (t *Tenant) DeleteUsers(keep int) int {
	n := 0
	t.edit(func(v uint64) {
		for i, id := range t.userIDs {
			if i >= keep {
				t.deleteUser(id, v)
				n++
			}
		}
	})
	return n
}

// DeleteUser permanently deletes one live user, as one new tenant version; it leaves its groups,
// as Graph does. False when there is no such live user.
func (t *Tenant) DeleteUser(id string) bool {
	ok := false
	t.edit(func(v uint64) {
		if u := t.users[id]; u != nil && u.Removed == "" {
			t.deleteUser(id, v)
			ok = true
		}
	})
	return ok
}

// deleteUser marks a user permanently deleted at version v and takes it out of every group.
func (t *Tenant) deleteUser(id string, v uint64) {
	u := t.users[id]
	u.Removed, u.Changed = ReasonDeleted, v
	for _, gid := range t.groupIDs {
		if _, ok := t.removeMember(gid, id, v); ok {
			t.groups[gid].Changed = v
		}
	}
}

// RenameGroup renames a group in Entra and removes its direct user members, as one new tenant
// version: a change the next sync would write to the group's Atlassian copy.
func (t *Tenant) RenameGroup(id, name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.groups[id]
	if g == nil || g.Removed != "" {
		return false
	}
	t.version++
	v := t.version
	g.DisplayName, g.Changed = name, v
	for _, uid := range directUsers(g) {
		t.removeMember(id, uid, v)
	}
	t.reindex()
	return true
}

// edit makes change under the tenant's lock as one new tenant version v (what delta reads
// report as one round), then reindexes.
func (t *Tenant) edit(change func(v uint64)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.version++
	change(t.version)
	t.reindex()
}

// directUsers lists the ids of a group's direct user members (not its nested groups).
func directUsers(g *GroupRec) []string {
	var users []string
	for _, m := range g.Members {
		if m.Kind == directory.MemberUser {
			users = append(users, m.ID)
		}
	}
	return users
}
