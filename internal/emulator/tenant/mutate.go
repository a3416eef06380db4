package tenant

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/idpsync/idpsync/internal/directory"
)

// Changes records what one Mutate did, so a test can assert a delta read returns exactly it.
// Each object and each membership is touched at most once per Mutate.
type Changes struct {
	From, To       uint64            // tenant versions before and after
	AddedUsers     []string          // new users (also added to one group each)
	UpdatedUsers   []string          // attribute updates, renames (UPN/mail) and disables
	RenamedUsers   []string          // subset of UpdatedUsers whose userName changed
	DisabledUsers  []string          // subset of UpdatedUsers
	RemovedUsers   map[string]string // id → @removed reason
	AddedGroups    []string
	UpdatedGroups  []string // renamed groups
	RemovedGroups  map[string]string
	MembersAdded   []directory.MemberEdge
	MembersRemoved []directory.MemberEdge
}

// Mutate applies about fraction × users random changes, seeded, as one new tenant version:
// user adds, attribute updates, renames, disables, deletions, membership moves between nested
// groups, and group adds, renames and deletions.
func (t *Tenant) Mutate(fraction float64, seed uint64) Changes {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := rand.New(rand.NewPCG(seed, 0x3a7))
	t.version++
	v := t.version
	ch := Changes{From: v - 1, To: v, RemovedUsers: map[string]string{}, RemovedGroups: map[string]string{}}
	ops := int(fraction*float64(len(t.userIDs)) + 0.5)
	if ops < 1 {
		ops = 1
	}
	m := mutation{t: t, r: r, v: v, ch: &ch, touchedU: map[string]bool{}, touchedG: map[string]bool{}}
	for i := 0; i < ops; i++ {
		switch k := r.IntN(100); {
		case k < 15:
			m.addUser()
		case k < 35:
			m.updateUser(false, false)
		case k < 45:
			m.updateUser(true, false)
		case k < 55:
			m.updateUser(false, true)
		case k < 65:
			m.deleteUser()
		case k < 85:
			m.moveMembership()
		case k < 90:
			m.renameGroup()
		case k < 95:
			m.addGroup()
		default:
			m.deleteGroup()
		}
	}
	t.reindex()
	for _, s := range [][]string{ch.AddedUsers, ch.UpdatedUsers, ch.RenamedUsers, ch.DisabledUsers, ch.AddedGroups, ch.UpdatedGroups} {
		sort.Strings(s)
	}
	return ch
}

type mutation struct {
	t                  *Tenant
	r                  *rand.Rand
	v                  uint64
	ch                 *Changes
	touchedU, touchedG map[string]bool
}

// freeUser picks an untouched, alive user (a few tries; "" when unlucky).
func (m *mutation) freeUser() string {
	return m.free(m.t.userIDs, m.touchedU, func(id string) bool { return m.t.users[id].Removed == "" })
}

// freeGroup picks an untouched, alive group, as freeUser does.
func (m *mutation) freeGroup() string {
	return m.free(m.t.groupIDs, m.touchedG, func(id string) bool { return m.t.groups[id].Removed == "" })
}

// free picks, in 20 tries at most, a random id of ids that this Mutate has not touched and that
// is alive: each object changes at most once per version, so a delta lists it once.
func (m *mutation) free(ids []string, touched map[string]bool, alive func(string) bool) string {
	for try := 0; try < 20 && len(ids) > 0; try++ {
		if id := ids[m.r.IntN(len(ids))]; !touched[id] && alive(id) {
			return id
		}
	}
	return ""
}

func (m *mutation) addUser() {
	t := m.t
	t.seq++
	n := len(t.users) + t.seq
	u := &UserRec{Changed: m.v, User: directory.User{
		ID: t.newID(), GivenName: "New", Surname: fmt.Sprintf("Hire%d", n), DisplayName: fmt.Sprintf("New Hire%d", n),
		UserPrincipalName: fmt.Sprintf("new%d@%s", n, t.defaultDomain()), UserType: "Member", AccountEnabled: true,
		JobTitle: "Engineer", Department: "R&D",
	}}
	u.Mail = u.UserPrincipalName
	t.users[u.ID] = u
	m.touchedU[u.ID] = true
	m.ch.AddedUsers = append(m.ch.AddedUsers, u.ID)
	if g := m.freeGroup(); g != "" {
		m.addMember(g, directory.Member{ID: u.ID, Kind: directory.MemberUser})
	}
}

func (t *Tenant) defaultDomain() string {
	for _, d := range t.Domains {
		if d.IsDefault {
			return d.Name
		}
	}
	return t.Domains[0].Name
}

func (m *mutation) updateUser(rename, disable bool) {
	m.changeUser(func(id string, u *UserRec) {
		m.updateAttributes(id, u, rename, disable)
		m.ch.UpdatedUsers = append(m.ch.UpdatedUsers, id)
	})
}

// changeUser changes a free user (none when none is free), then marks it changed in this
// version and touched.
func (m *mutation) changeUser(change func(id string, u *UserRec)) {
	if id := m.freeUser(); id != "" {
		change(id, m.t.users[id])
		m.t.users[id].Changed = m.v
		m.touchedU[id] = true
	}
}

// changeGroup is changeUser for a group.
func (m *mutation) changeGroup(change func(id string, g *GroupRec)) {
	if id := m.freeGroup(); id != "" {
		change(id, m.t.groups[id])
		m.t.groups[id].Changed = m.v
		m.touchedG[id] = true
	}
}

func (m *mutation) updateAttributes(id string, u *UserRec, rename, disable bool) {
	switch {
	case rename:
		local := fmt.Sprintf("renamed%d.%s", m.v, strings.SplitN(u.UserPrincipalName, "@", 2)[0])
		local = strings.NewReplacer("#", "", "_", ".").Replace(local)
		u.UserPrincipalName = local + "@" + m.t.defaultDomain()
		if u.UserType == "Guest" {
			u.UserType = "Member" // a guest converted to a member takes a home UPN
		}
		u.Mail = u.UserPrincipalName
		m.ch.RenamedUsers = append(m.ch.RenamedUsers, id)
	case disable:
		if !u.AccountEnabled {
			u.AccountEnabled = true // re-enabled: also a change the sync must see
		} else {
			u.AccountEnabled = false
			m.ch.DisabledUsers = append(m.ch.DisabledUsers, id)
		}
	default:
		u.JobTitle = titles[m.r.IntN(len(titles)-1)] + fmt.Sprintf(" v%d", m.v)
		u.Department = depts[m.r.IntN(len(depts))]
		u.DisplayName = u.GivenName + " " + u.Surname + " (" + u.JobTitle + ")"
	}
}

func (m *mutation) deleteUser() {
	m.changeUser(func(id string, u *UserRec) {
		u.Removed = ReasonChanged // soft delete: restorable for 30 days
		if m.r.IntN(4) == 0 {
			u.Removed = ReasonDeleted
		}
		m.ch.RemovedUsers[id] = u.Removed
		m.leaveAllGroups(id)
	})
}

// moveMembership moves a direct user member from a group to a nested neighbour (a subgroup or a
// parent), the kind of change that alters chains but not always the flattened result.
func (m *mutation) moveMembership() {
	from := m.freeGroup()
	if from == "" {
		return
	}
	g := m.t.groups[from]
	var users []string
	for _, mem := range g.Members {
		if mem.Kind == directory.MemberUser && !m.touchedU[mem.ID] {
			users = append(users, mem.ID)
		}
	}
	if len(users) == 0 {
		return
	}
	uid := users[m.r.IntN(len(users))]
	var neighbours []string
	for _, mem := range g.Members {
		if mem.Kind == directory.MemberGroup && !m.touchedG[mem.ID] {
			neighbours = append(neighbours, mem.ID)
		}
	}
	for _, pid := range m.t.groupIDs {
		if !m.touchedG[pid] && slices.ContainsFunc(m.t.groups[pid].Members, func(x directory.Member) bool { return x.ID == from }) {
			neighbours = append(neighbours, pid)
		}
	}
	if len(neighbours) == 0 {
		if other := m.freeGroup(); other != "" && other != from {
			neighbours = append(neighbours, other)
		}
	}
	var to string
	for _, n := range neighbours {
		if n != from && !slices.ContainsFunc(m.t.groups[n].Members, func(x directory.Member) bool { return x.ID == uid }) {
			to = n
			break
		}
	}
	if to == "" {
		return
	}
	mem, _ := m.t.removeMember(from, uid, m.v)
	m.removed(from, mem)
	m.addMember(to, mem)
	m.touchedU[uid] = true
}

func (m *mutation) renameGroup() {
	m.changeGroup(func(id string, g *GroupRec) {
		g.DisplayName = fmt.Sprintf("%s (renamed v%d)", g.DisplayName, m.v)
		m.ch.UpdatedGroups = append(m.ch.UpdatedGroups, id)
	})
}

func (m *mutation) addGroup() {
	parent := m.freeGroup()
	t := m.t
	g := &GroupRec{Group: directory.Group{ID: t.newID(), DisplayName: fmt.Sprintf("New team v%d.%d", m.v, len(t.groups)), SecurityEnabled: true}, Changed: m.v}
	t.groups[g.ID] = g
	m.touchedG[g.ID] = true
	m.ch.AddedGroups = append(m.ch.AddedGroups, g.ID)
	if parent != "" {
		m.addMember(parent, directory.Member{ID: g.ID, Kind: directory.MemberGroup})
	}
	if uid := m.freeUser(); uid != "" {
		m.addMember(g.ID, directory.Member{ID: uid, Kind: directory.MemberUser})
		m.touchedU[uid] = true
	}
}

func (m *mutation) deleteGroup() {
	m.changeGroup(func(id string, g *GroupRec) {
		g.Removed = ReasonDeleted // security groups are deleted for good
		if slices.Contains(g.GroupTypes, "Unified") {
			g.Removed = ReasonChanged // Microsoft 365 groups are soft-deleted
		}
		m.ch.RemovedGroups[id] = g.Removed
		m.leaveAllGroups(id)
	})
}

// addMember adds mem to group gid in this version and records it as delta will report it.
func (m *mutation) addMember(gid string, mem directory.Member) {
	m.t.addMember(gid, mem, m.v)
	m.touchedG[gid] = true
	m.ch.MembersAdded = append(m.ch.MembersAdded, directory.MemberEdge{GroupID: gid, Member: mem})
}

// removed records mem's removal from group gid as delta will report it.
func (m *mutation) removed(gid string, mem directory.Member) {
	m.touchedG[gid] = true
	m.ch.MembersRemoved = append(m.ch.MembersRemoved, directory.MemberEdge{GroupID: gid, Member: mem})
}

// leaveAllGroups removes a deleted user or group from every other group not deleted: Graph drops
// a deleted object from its groups, and groups delta reports those removals.
func (m *mutation) leaveAllGroups(id string) {
	for _, gid := range m.t.groupIDs {
		if gid == id || m.t.groups[gid].Removed != "" {
			continue
		}
		if mem, ok := m.t.removeMember(gid, id, m.v); ok {
			m.removed(gid, mem)
		}
	}
}
