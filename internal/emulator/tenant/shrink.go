package tenant

import "github.com/idpsync/idpsync/internal/directory"

// EmptyGroups removes every direct user member of the first n groups (by id) that have some, as
// one new tenant version, and returns the memberships removed: an admin emptying groups in Entra
// (issue 14 point 2's mass removal).
func (t *Tenant) EmptyGroups(n int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.version++
	v, removed := t.version, 0
	for _, gid := range t.groupIDs {
		if n == 0 {
			break
		}
		g := t.groups[gid]
		var users []string
		for _, m := range g.Members {
			if m.Kind == directory.MemberUser {
				users = append(users, m.ID)
			}
		}
		if len(users) == 0 {
			continue
		}
		for _, id := range users {
			if _, ok := t.removeMember(gid, id, v); ok {
				removed++
			}
		}
		g.Changed = v
		n--
	}
	t.reindex()
	return removed
}

// DeleteUsers deletes all but the first keep users (by id), as one new tenant version; each
// leaves its groups, as Graph does. It returns how many were deleted.
func (t *Tenant) DeleteUsers(keep int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.version++
	v, n := t.version, 0
	for i, id := range t.userIDs {
		if i < keep {
			continue
		}
		u := t.users[id]
		u.Removed, u.Changed = ReasonDeleted, v
		for _, gid := range t.groupIDs {
			if _, ok := t.removeMember(gid, id, v); ok {
				t.groups[gid].Changed = v
			}
		}
		n++
	}
	t.reindex()
	return n
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
	var users []string
	for _, m := range g.Members {
		if m.Kind == directory.MemberUser {
			users = append(users, m.ID)
		}
	}
	for _, uid := range users {
		t.removeMember(id, uid, v)
	}
	t.reindex()
	return true
}
