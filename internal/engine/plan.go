package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// Conflict decisions.
const (
	DecisionTakeOver = "take_over"
	DecisionSkip     = "skip"
	// DecisionRetry: for a group outside the SCIM directory, which IdP Sync cannot take over,
	// the admin resolved it in Atlassian Administration (renamed it, removed its default
	// status, or synced it through "Review groups"): create it again.
	DecisionRetry = "retry"
	// DecisionHeld is recorded by the apply, not by the admin: POST /Groups answered 409 and
	// the SCIM directory shows no such group, so the group exists outside it. The next preview
	// holds it as a conflict to decide, with or without an organization key.
	DecisionHeld = "held"
)

// Conflict scopes.
const (
	ConflictInDirectory    = "directory"    // a SCIM group of this directory, not managed by IdP Sync
	ConflictInOrganization = "organization" // a group of the organization the SCIM directory cannot see
)

// GroupRef names a group on both sides.
type GroupRef struct {
	EntraID string `json:"entraId,omitempty"`
	SCIMID  string `json:"scimId,omitempty"`
	Name    string `json:"name"`
}

// Op is one planned operation. Membership operations name the user by Entra id when the SCIM id
// is not known yet (the user is created by the same apply).
type Op struct {
	Seq     int             `json:"seq"`
	Action  report.Action   `json:"action"`
	EntraID string          `json:"entraId,omitempty"`
	SCIMID  string          `json:"scimId,omitempty"`
	Name    string          `json:"name,omitempty"`
	Email   string          `json:"email,omitempty"`
	User    *User           `json:"user,omitempty"` // the desired user: created, or recreated after a 404
	Changes []report.Change `json:"changes,omitempty"`
	Group   *GroupRef       `json:"group,omitempty"`
	Chain   []string        `json:"chain,omitempty"` // group names from the synced group down to the direct group
	Reason  string          `json:"reason,omitempty"`
	// ExternalID is the externalId a created group gets: the Entra id, or after a rename a
	// derived one (see GroupExternalID), because the old group keeps the Entra id and Atlassian
	// refuses two groups with one externalId.
	ExternalID string `json:"externalId,omitempty"`
	// Warning is a refusal the plan predicts (MayRefusePrefix…): shown in the preview and kept
	// in the report, so that a refused create is never a surprise.
	Warning string `json:"warning,omitempty"`
	// AccountID is the Atlassian account a suspend_user or restore_user acts on ("" when the
	// SCIM record carries none: the apply looks it up).
	AccountID string `json:"accountId,omitempty"`
}

// Object is the report's object type of the op (report.Action.Object).
func (o *Op) Object() string { return o.Action.Object() }

// Conflict is an unmanaged Atlassian group with a synced group's name.
type Conflict struct {
	GroupEntraID string `json:"groupEntraId"`
	DisplayName  string `json:"displayName"`
	AtlassianID  string `json:"atlassianId"`
	Decision     string `json:"decision"`
	Scope        string `json:"scope"` // ConflictInDirectory | ConflictInOrganization
	// DefaultAccess: the group is an app's default access group, which Atlassian cannot sync
	// until its default status is removed.
	DefaultAccess bool     `json:"defaultAccess,omitempty"`
	CanTakeOver   bool     `json:"canTakeOver"` // only a SCIM group of this directory can be taken over
	Hint          string   `json:"hint,omitempty"`
	Add           []string `json:"add"`    // user names that taking over would add
	Remove        []string `json:"remove"` // and remove
}

// Plan is the full list of operations that turns the live Atlassian state into the desired state.
// Its operations are read through Len, Op, Action and All: memberships are stored per group
// (see compact.go) and materialised on demand.
type Plan struct {
	ID          string
	DirectoryID string
	Tenant      directory.Tenant
	Domains     []string
	Settings    Settings
	Full        bool
	// ops are the operations on users and groups in plan order; the memberships sit between
	// ops[:mid] (phases 0–1) and ops[mid:] (phases 4–5).
	ops       []Op
	mid       int
	sets      []memberSet
	setStart  []int // membership offset of each set's first member
	members   int
	people    []person
	chains    [][]string
	Skips     []report.Skip
	Conflicts []Conflict
	Blocked   []*apperr.Error
	// Notices are what the admin must know about the plan's blind spots (no organization key:
	// conflicts outside the SCIM directory cannot be detected).
	Notices    []string
	OrgChecked bool // the plan's new groups were looked up in the whole organization
	// Renames are the Entra renames the plan carries out as create, copy members, retire.
	Renames          []Rename
	ManagedUsers     int
	Deactivations    int
	ThresholdTripped bool
	// The membership-removal threshold: memberships removed by this run, counting every member
	// of a group it deletes, against the memberships of the groups it manages.
	MembershipRemovals      int
	DeletedGroups           int
	ManagedMemberships      int
	RemovalThresholdTripped bool
	// ReadShrink lists what the read holds far fewer of than the last synced read (see
	// ReadShrunk); non-empty trips the rail.
	ReadShrink []Shrink
	Digest     string
	Created    time.Time
	Phases     []report.Phase

	// What a successful apply commits for the next incremental run.
	Snapshot      *directory.Snapshot
	Links         directory.DeltaLinks
	SettingsHash  string
	runsSinceFull int
	keptDigest    string  // the saved snapshot's digest when Snapshot is it unchanged (an empty delta)
	prints        *Prints // of the desired state, saved with Snapshot (nil with keptDigest)
	// Matches found by the plan (adopted by externalId, already linked) that the store lacks.
	Mappings []Mapping
	// userOwners is the planner's index of the stored user mappings by SCIM id, kept for the
	// apply's check that a created user's id is nobody else's (nil: the apply reads the store).
	userOwners map[string]Mapping
}

// Live is the Atlassian state the plan starts from: the whole directory on a full reconcile, or
// only the objects an incremental run touches.
type Live struct {
	Users  []User
	Groups []Group
}

// Touched restricts an incremental plan to the objects whose desired state changed.
type Touched struct {
	Users  map[string]bool
	Groups map[string]bool
}

// PlanInput gathers what Compute needs.
type PlanInput struct {
	Desired   *Desired
	Live      *Live
	Mappings  []Mapping
	Decisions map[string]string
	Settings  Settings
	Touched   *Touched // nil: full reconcile
	// Read counts the snapshot this plan comes from; LastRead the one the last clean run
	// synced (nil: none known, the read-shrink rail does not apply).
	Read, LastRead *ReadCounts
	Org            *OrgView // nil: the organization was not read (no key, or not yet)
	// Suspended are the account ids whose access is suspended in the directory (read when the
	// directory suspends users who leave scope); nil: not read (see suspend.go).
	Suspended map[string]bool
}

// Rename is one Entra group rename: Atlassian's SCIM API cannot rename a group and the
// Organizations API documents no rename either (its v2 group endpoints create, delete, grant
// and revoke roles, and add and remove members), so the plan creates the new group, copies the
// members and retires the old one, which keeps its members and whatever access it grants.
type Rename struct {
	EntraID     string `json:"entraId"`
	OldName     string `json:"oldName"`
	NewName     string `json:"newName"`
	OldSCIMID   string `json:"oldScimId"`
	StillGrants int    `json:"stillGrants"` // members the old group keeps after the retire
	Deleted     bool   `json:"deleted"`     // DeleteOutOfScopeGroups: the old group is deleted instead
}

func renameReason(act report.Action, newName string, members int) string {
	if act == report.DeleteGroup {
		return "renamed in Entra to " + strconv.Quote(newName) + ": IdP Sync creates the new group, copies its members, then deletes this one " +
			"(Atlassian cannot rename a group); the product access and permissions this group grants go with it"
	}
	return "renamed in Entra to " + strconv.Quote(newName) + ": IdP Sync creates the new group, copies its members, then retires this one " +
		"(Atlassian cannot rename a group). The old group keeps its " + itoa(members) + " members, so it still grants its access to " +
		itoa(members) + " people until you move product access to the new group and finish the rename"
}

// OrgView is what the Organizations API said about the names of the groups the plan creates.
type OrgView struct {
	Groups map[string]OrgGroup // lower-case name → the group outside the SCIM directory
}

var phaseOf = map[report.Action]int{
	report.CreateGroup: 0, report.AdoptGroup: 0, report.ConflictGroup: 0,
	report.CreateUser: 1, report.AdoptUser: 1, report.UpdateUser: 1, report.ReactivateUser: 1, report.RestoreUser: 1,
	report.AddMember:      2,
	report.RemoveMember:   3,
	report.DeactivateUser: 4,
	report.SuspendUser:    4,
	report.RetireGroup:    5, report.DeleteGroup: 5,
}

type planner struct {
	in              PlanInput
	d               *Desired
	p               *Plan
	userMap         map[string]Mapping // entra id → mapping
	userRev         map[string]Mapping // scim id → mapping
	groupMap        map[string]Mapping
	liveUser        map[string]*User // by scim id
	userByExt       map[string]*User
	userByNam       map[string]*User
	claimed         map[string]bool   // live user scim ids matched to a desired user
	resolved        map[string]string // entra user id → scim id ("" when created by this apply)
	exists          map[string]bool   // entra user ids that exist after the apply
	protected       map[string]bool
	removedByDelete int // members of the groups the plan deletes
	people          peopleIndex
	suspendBlocked  bool
}

// Compute plans the operations. It is pure: the same input gives the same plan and digest.
func Compute(in PlanInput) *Plan {
	pl := &planner{in: in, d: in.Desired, p: &Plan{Tenant: in.Desired.Tenant, Domains: in.Desired.Domains, Settings: in.Settings, Full: in.Touched == nil},
		userMap: map[string]Mapping{}, userRev: map[string]Mapping{}, groupMap: map[string]Mapping{},
		liveUser: map[string]*User{}, userByExt: map[string]*User{}, userByNam: map[string]*User{},
		claimed: map[string]bool{}, resolved: map[string]string{}, exists: map[string]bool{}, protected: map[string]bool{},
		people: peopleIndex{byEntra: map[string]int32{}, bySCIM: map[string]int32{}}}
	for _, m := range in.Mappings {
		if m.Kind == "group" {
			pl.groupMap[m.EntraID] = m
		} else {
			pl.userMap[m.EntraID] = m
			pl.userRev[m.SCIMID] = m
		}
	}
	for i := range in.Live.Users {
		u := &in.Live.Users[i]
		pl.liveUser[u.ID] = u
		if u.ExternalID != "" {
			pl.userByExt[u.ExternalID] = u
		}
		pl.userByNam[strings.ToLower(u.UserName)] = u
	}
	for _, g := range in.Settings.ProtectedGroups {
		pl.protected[foldName(g)] = true
	}
	pl.p.Skips = slices.Clone(in.Desired.Skips)
	pl.reserve()
	pl.users()
	pl.deactivations()
	pl.groups()
	pl.finish()
	pl.p.userOwners = pl.userRev
	return pl.p
}

// reserve makes room for the user and group ops the plan will at least hold: users and groups
// missing from the live state (memberships are stored per group, see compact.go). A run with
// nothing to do reserves (almost) nothing.
func (pl *planner) reserve() {
	users, groups := 0, 0
	for id := range pl.d.Users {
		if pl.touchedUser(id) {
			users++
		}
	}
	for id := range pl.d.Groups {
		if pl.touchedGroup(id) {
			groups++
		}
	}
	est := max(0, users-len(pl.in.Live.Users)) + max(0, groups-len(pl.in.Live.Groups))
	pl.p.ops = slices.Grow(pl.p.ops, est)
	pl.p.sets = slices.Grow(pl.p.sets, groups)
}

func (pl *planner) touchedUser(id string) bool {
	return pl.in.Touched == nil || pl.in.Touched.Users[id]
}

func (pl *planner) touchedGroup(id string) bool {
	return pl.in.Touched == nil || pl.in.Touched.Groups[id]
}

func (pl *planner) add(op Op) { pl.p.ops = append(pl.p.ops, op) }

// isProtected reports whether an Entra or Atlassian group name is one of the protected groups,
// under the matcher's folding (see foldName).
func (pl *planner) isProtected(name string) bool { return pl.protected[foldName(name)] }

func (pl *planner) users() {
	for _, id := range sortedKeys(pl.d.Users) {
		du := pl.d.Users[id]
		if !pl.touchedUser(id) {
			// Unchanged since the last successful run: it is as the mappings say.
			if m, ok := pl.userMap[id]; ok {
				pl.resolved[id], pl.exists[id] = m.SCIMID, true
			}
			continue
		}
		want := du.SCIM
		var cur *User
		adopt := false
		if m, ok := pl.userMap[id]; ok {
			if u := pl.liveUser[m.SCIMID]; u != nil && (u.ExternalID == "" || u.ExternalID == id) {
				cur = u
			}
		}
		if cur == nil {
			cur = pl.userByExt[id]
		}
		if cur == nil {
			if u := pl.userByNam[strings.ToLower(want.UserName)]; u != nil && !pl.claimed[u.ID] {
				if u.ExternalID != "" && u.ExternalID != id {
					pl.p.Skips = append(pl.p.Skips, report.Skip{Object: userRef(du.Entra), Reason: ReasonUserNameTaken,
						Detail: "the Atlassian account " + u.UserName + " is linked to Entra object " + u.ExternalID})
					continue
				}
				cur, adopt = u, true
			}
		}
		if cur != nil && pl.claimed[cur.ID] {
			cur = nil
		}
		if cur == nil {
			if !want.Active && !pl.in.Settings.IncludeDisabled {
				pl.p.Skips = append(pl.p.Skips, report.Skip{Object: userRef(du.Entra), Reason: ReasonDisabledNotCreated})
				continue
			}
			w := want
			pl.add(Op{Action: report.CreateUser, EntraID: id, Name: want.DisplayName, Email: want.UserName, User: &w})
			pl.exists[id] = true
			continue
		}
		pl.claimed[cur.ID] = true
		pl.resolved[id], pl.exists[id] = cur.ID, true
		if m, ok := pl.userMap[id]; !ok || m.SCIMID != cur.ID || !m.Managed {
			if !adopt {
				pl.p.Mappings = append(pl.p.Mappings, Mapping{Kind: "user", EntraID: id, SCIMID: cur.ID, Managed: true})
			}
		}
		var changes []report.Change
		for _, c := range DiffUser(*cur, want) {
			if c.Attribute != AttrActive {
				changes = append(changes, c)
			}
		}
		w := want
		base := Op{EntraID: id, SCIMID: cur.ID, Name: want.DisplayName, Email: want.UserName, User: &w}
		if adopt {
			op := base
			op.Action, op.Changes, op.Reason = report.AdoptUser, changes, "an account with this email exists"
			pl.add(op)
		} else if len(changes) > 0 {
			op := base
			op.Action, op.Changes = report.UpdateUser, changes
			pl.add(op)
		}
		switch {
		case want.Active && !cur.Active:
			op := base
			op.Action, op.Reason, op.User = report.ReactivateUser, "enabled and in scope", nil
			pl.add(op)
		case !want.Active && cur.Active:
			op := base
			op.Action, op.Reason, op.User = report.DeactivateUser, "disabled in Entra", nil
			pl.add(op)
			pl.p.Deactivations++
		}
		pl.restore(base, cur, want.Active)
	}
}

// deactivations deactivates live accounts the app manages that no desired user claimed.
func (pl *planner) deactivations() {
	managed := 0
	ids := make([]string, 0, len(pl.liveUser))
	for id := range pl.liveUser {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, sid := range ids {
		u := pl.liveUser[sid]
		m, mapped := pl.userRev[sid]
		_, inDesired := pl.d.Users[u.ExternalID]
		_, skipped := pl.d.skipped[u.ExternalID]
		isManaged := (mapped && m.Managed) || (u.ExternalID != "" && (inDesired || skipped))
		if pl.claimed[sid] {
			managed++
			continue
		}
		if !isManaged {
			continue
		}
		managed++
		entraID := u.ExternalID
		if mapped {
			entraID = m.EntraID
		}
		if pl.in.Touched != nil && !pl.in.Touched.Users[entraID] {
			continue
		}
		if !u.Active {
			continue
		}
		reason := "deleted in Entra"
		if r, ok := pl.d.skipped[entraID]; ok {
			reason = "left scope: " + r
		} else if _, ok := pl.d.Users[entraID]; ok {
			reason = "left scope"
		}
		pl.leaveScope(Op{Action: report.DeactivateUser, EntraID: entraID, SCIMID: sid, Name: u.DisplayName, Email: u.UserName, Reason: reason}, u)
	}
	if pl.in.Touched == nil {
		pl.p.ManagedUsers = managed
	} else {
		for _, m := range pl.userMap {
			if m.Managed {
				pl.p.ManagedUsers++
			}
		}
	}
}

func (pl *planner) groups() {
	liveByID := map[string]*Group{}
	byExt := map[string][]*Group{}
	byName := map[string]*Group{}
	for i := range pl.in.Live.Groups {
		g := &pl.in.Live.Groups[i]
		liveByID[g.ID] = g
		if g.ExternalID != "" {
			byExt[ExternalOwner(g.ExternalID)] = append(byExt[ExternalOwner(g.ExternalID)], g)
		}
		byName[strings.ToLower(g.DisplayName)] = g
	}
	claimed := map[string]bool{}
	// Claim every desired group's live match first so a rename's old group is never mistaken for
	// another group's conflict.
	type match struct {
		cur  *Group
		olds []*Group
	}
	matches := map[string]*match{}
	gids := sortedKeys(pl.d.Groups)
	for _, id := range gids {
		g := pl.d.Groups[id]
		mt := &match{}
		if m, ok := pl.groupMap[id]; ok {
			if lg := liveByID[m.SCIMID]; lg != nil {
				if strings.EqualFold(lg.DisplayName, g.Name) {
					mt.cur = lg
				} else {
					mt.olds = append(mt.olds, lg)
				}
			}
		}
		if mt.cur == nil {
			for _, lg := range byExt[id] {
				if strings.EqualFold(lg.DisplayName, g.Name) {
					mt.cur = lg
				}
			}
		}
		if mt.cur != nil {
			claimed[mt.cur.ID] = true
		}
		for _, o := range mt.olds {
			claimed[o.ID] = true
		}
		matches[id] = mt
	}
	for _, id := range gids {
		g := pl.d.Groups[id]
		if !pl.touchedGroup(id) {
			// Unchanged since the last clean run: its members in Atlassian are the desired ones.
			for _, uid := range g.Members {
				if pl.exists[uid] {
					pl.p.ManagedMemberships++
				}
			}
			continue
		}
		ref := report.ObjectRef{Type: "group", Name: g.Name, EntraID: id}
		mt := matches[id]
		cur := mt.cur
		// Protection holds on the Atlassian group the Entra group is matched to (by mapping,
		// externalId or name), whatever Entra calls it, as well as on the Entra name itself.
		target := cur
		if target == nil {
			target = byName[strings.ToLower(g.Name)]
		}
		if pl.isProtected(g.Name) || (target != nil && pl.isProtected(target.DisplayName)) {
			pl.p.Skips = append(pl.p.Skips, report.Skip{Object: ref, Reason: ReasonProtectedGroup})
			continue
		}
		for _, o := range mt.olds {
			act := report.RetireGroup
			if pl.in.Settings.DeleteOutOfScopeGroups {
				act = report.DeleteGroup
			}
			if pl.isProtected(o.DisplayName) {
				continue
			}
			pl.retire(Op{Action: act, EntraID: id, SCIMID: o.ID, Name: o.DisplayName, Reason: renameReason(act, g.Name, len(o.Members))}, o)
			pl.p.Renames = append(pl.p.Renames, Rename{EntraID: id, OldName: o.DisplayName, NewName: g.Name, OldSCIMID: o.ID,
				StillGrants: len(o.Members), Deleted: act == report.DeleteGroup})
		}
		gref := &GroupRef{EntraID: id, Name: g.Name}
		if cur == nil {
			if lg := byName[strings.ToLower(g.Name)]; lg != nil {
				if claimed[lg.ID] || ExternalOwner(lg.ExternalID) != id {
					adds, removes := pl.memberDiff(g, lg)
					c := Conflict{GroupEntraID: id, DisplayName: g.Name, AtlassianID: lg.ID, Decision: pl.in.Decisions[id],
						Scope: ConflictInDirectory, CanTakeOver: true}
					if c.Decision != DecisionTakeOver && c.Decision != DecisionSkip {
						c.Decision = ""
					}
					for _, w := range adds.who {
						c.Add = append(c.Add, pl.p.people[w].Email)
					}
					for _, w := range removes.who {
						c.Remove = append(c.Remove, pl.p.people[w].Email)
					}
					switch {
					case claimed[lg.ID]:
						// it belongs to another synced group's rename: never take it
						c.Decision = DecisionSkip
						pl.p.Skips = append(pl.p.Skips, report.Skip{Object: ref, Reason: ReasonConflictSkipped, Detail: "the Atlassian group is still managed for another Entra group"})
						continue
					case c.Decision == DecisionTakeOver:
						pl.p.Conflicts = append(pl.p.Conflicts, c)
						claimed[lg.ID] = true
						gref.SCIMID = lg.ID
						pl.p.ManagedMemberships += len(lg.Members)
						pl.add(Op{Action: report.AdoptGroup, EntraID: id, SCIMID: lg.ID, Name: g.Name, Group: gref, Reason: "taken over by the admin's decision"})
						pl.addSet(adds)
						pl.addSet(removes)
						continue
					case c.Decision == DecisionSkip:
						pl.p.Conflicts = append(pl.p.Conflicts, c)
						claimed[lg.ID] = true
						pl.p.Skips = append(pl.p.Skips, report.Skip{Object: ref, Reason: ReasonConflictSkipped})
						continue
					default:
						pl.p.Conflicts = append(pl.p.Conflicts, c)
						claimed[lg.ID] = true
						pl.add(Op{Action: report.ConflictGroup, EntraID: id, SCIMID: lg.ID, Name: g.Name,
							Reason: "an Atlassian group with this name exists and is not managed by IdP Sync: take it over or skip it"})
						continue
					}
				}
				cur = lg
			}
		}
		if cur == nil && pl.orgConflict(id, g, ref) {
			continue
		}
		if cur == nil {
			ext := id
			if len(byExt[id]) > 0 {
				ext = GroupExternalID(id, g.Name)
			}
			reason := ""
			if len(mt.olds) > 0 {
				reason = "rename of " + strconv.Quote(mt.olds[0].DisplayName) + ": create the new group, copy its members, then retire the old one"
			}
			pl.add(Op{Action: report.CreateGroup, EntraID: id, Name: g.Name, Group: gref, ExternalID: ext, Reason: reason})
		} else {
			claimed[cur.ID] = true
			gref.SCIMID = cur.ID
			pl.p.ManagedMemberships += len(cur.Members)
			if m, ok := pl.groupMap[id]; !ok || m.SCIMID != cur.ID {
				pl.p.Mappings = append(pl.p.Mappings, Mapping{Kind: "group", EntraID: id, SCIMID: cur.ID, Managed: true})
			}
		}
		adds, removes := pl.memberDiff(g, cur)
		pl.addSet(adds)
		pl.addSet(removes)
	}
	// Managed groups no desired group claimed: left (retired) or deleted by the explicit setting.
	for _, id := range sortedKeys(pl.groupMap) {
		m := pl.groupMap[id]
		if _, ok := pl.d.Groups[id]; ok || !m.Managed || !pl.touchedGroup(id) {
			continue
		}
		lg := liveByID[m.SCIMID]
		if lg == nil || claimed[lg.ID] || pl.isProtected(lg.DisplayName) {
			continue
		}
		act := report.RetireGroup
		if pl.in.Settings.DeleteOutOfScopeGroups {
			act = report.DeleteGroup
		}
		reason := "deleted in Entra"
		if _, ok := pl.d.names[id]; ok {
			reason = "left scope"
		}
		pl.retire(Op{Action: act, EntraID: id, SCIMID: lg.ID, Name: lg.DisplayName, Reason: reason}, lg)
	}
}

// retire adds the retire or delete op of a managed group; a deleted group's members all lose
// what it grants, so they count toward the membership-removal threshold.
func (pl *planner) retire(op Op, lg *Group) {
	pl.p.ManagedMemberships += len(lg.Members)
	if op.Action == report.DeleteGroup {
		pl.removedByDelete += len(lg.Members)
		pl.p.DeletedGroups++
	}
	pl.add(op)
}

// memberDiff lists the adds (with their chains) and removes that make lg's members equal the
// group's desired members; lg nil is a group about to be created.
func (pl *planner) memberDiff(g *DesiredGroup, lg *Group) (adds, removes memberSet) {
	gref := &GroupRef{EntraID: g.ID, Name: g.Name}
	adds = memberSet{action: report.AddMember, group: gref}
	removes = memberSet{action: report.RemoveMember, group: gref}
	live := map[string]bool{}
	if lg != nil {
		gref.SCIMID = lg.ID
		for _, m := range lg.Members {
			live[m] = true
		}
	} else {
		adds.who, adds.chain = make([]int32, 0, len(g.Members)), make([]int32, 0, len(g.Members))
	}
	want := map[string]bool{}
	// A chain depends only on the group and the direct group it ends at, so the memberships of
	// one group share a chain per direct group: millions of memberships need a few thousand.
	chains := map[string]int32{}
	for _, uid := range g.Members {
		if !pl.exists[uid] {
			continue
		}
		sid := pl.resolved[uid]
		if sid != "" {
			want[sid] = true
			if live[sid] {
				continue
			}
		}
		w := pl.addPerson(pl.people.byEntra, uid, func() person {
			du := pl.d.Users[uid]
			return person{EntraID: uid, SCIMID: sid, Name: du.SCIM.DisplayName, Email: du.SCIM.UserName}
		})
		adds.who = append(adds.who, w)
		adds.chain = append(adds.chain, pl.chain(chains, g.ID, uid))
	}
	if lg != nil {
		members := slices.Clone(lg.Members)
		slices.Sort(members)
		for _, sid := range members {
			if want[sid] {
				continue
			}
			removes.who = append(removes.who, pl.addPerson(pl.people.bySCIM, sid, func() person { return pl.removed(sid) }))
		}
	}
	return adds, removes
}

// removed is the person a membership removal names: the live account, else its mapping.
func (pl *planner) removed(sid string) person {
	w := person{SCIMID: sid, Reason: "not a member in Entra"}
	if u := pl.liveUser[sid]; u != nil {
		w.Name, w.Email, w.EntraID = u.DisplayName, u.UserName, u.ExternalID
	} else if m, ok := pl.userRev[sid]; ok {
		w.EntraID = m.EntraID
	}
	if w.EntraID != "" {
		if r, ok := pl.d.skipped[w.EntraID]; ok {
			w.Reason = "left scope: " + r
		}
	}
	return w
}

// chain is the index in the plan's chains of the chain of userID's membership in groupID (-1:
// none), shared by the memberships of the group that end at the same direct group.
func (pl *planner) chain(cache map[string]int32, groupID, userID string) int32 {
	last, ok := pl.d.Flat.Via(groupID, userID)
	if !ok {
		return -1
	}
	if c, ok := cache[last]; ok {
		return c
	}
	ids := pl.d.Flat.Chain(groupID, userID)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = pl.d.names[id]
	}
	c := int32(len(pl.p.chains))
	pl.p.chains = append(pl.p.chains, out)
	cache[last] = c
	return c
}

func (pl *planner) finish() {
	p := pl.p
	sortOps(p.ops)
	p.finishMembers()
	p.mid = len(p.ops)
	for i := range p.ops {
		if phaseOf[p.ops[i].Action] > phaseOf[report.RemoveMember] {
			p.mid = i
			break
		}
	}
	for i := range p.ops {
		p.ops[i].Seq = i + 1
		if i >= p.mid {
			p.ops[i].Seq += p.members
		}
	}
	if pl.d.OverLimit {
		lim, _ := pl.in.Settings.Limits.normalize()
		over := strings.Join(pl.d.Over, "; ")
		if r := []rune(over); len(r) > 600 { // thousands of groups over the limit: the report lists them all
			over = string(r[:600]) + "…"
		}
		p.Blocked = append(p.Blocked, apperr.New(apperr.PlanLimitExceeded,
			"the plan is over Atlassian's limits for this directory (%d users per group, %d users, %d groups, %d memberships): %s; nothing will be written",
			lim.UsersPerGroup, lim.Users, lim.Groups, lim.Memberships, over).
			WithAction("Narrow the selected groups or domains (the report lists what is over the limit), or, if Atlassian raised this organization's limits, enter them in the directory's settings (up to 1,000,000 users, 290,000 per group, 250,000 groups, 8,000,000 memberships)."))
	}
	st := pl.in.Settings
	pct := 0.0
	if p.ManagedUsers > 0 {
		pct = float64(p.Deactivations) * 100 / float64(p.ManagedUsers)
	}
	p.ThresholdTripped = p.Deactivations > 0 && ((st.DeactivationMaxCount > 0 && p.Deactivations > st.DeactivationMaxCount) ||
		(st.DeactivationMaxPercent > 0 && pct > st.DeactivationMaxPercent))
	p.MembershipRemovals = p.Count(report.RemoveMember) + pl.removedByDelete
	p.RemovalThresholdTripped = p.MembershipRemovals > 0 && ((st.RemovalMaxCount > 0 && p.MembershipRemovals > st.RemovalMaxCount) ||
		(st.RemovalMaxPercent > 0 && p.RemovalPercent() > st.RemovalMaxPercent))
	p.ReadShrink = ReadShrunk(pl.in.LastRead, pl.in.Read)
	p.Digest = Digest(p.Tenant.ID, p.Domains, p.All())
}

// sortOps orders ops by phase, group, email, name and ids, stable. It sorts indices and then
// moves each op once: a stable sort of the ops themselves swaps their large structs
// O(n log² n) times, which dominated planning millions of memberships.
func sortOps(ops []Op) {
	idx := make([]int32, len(ops))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(x, y int32) int {
		a, b := &ops[x], &ops[y]
		if c := phaseOf[a.Action] - phaseOf[b.Action]; c != 0 {
			return c
		}
		if a.Group != nil && b.Group != nil {
			if c := strings.Compare(a.Group.Name, b.Group.Name); c != 0 {
				return c
			}
		}
		if c := compareWho(a.Email, a.Name, a.EntraID, a.SCIMID, b.Email, b.Name, b.EntraID, b.SCIMID); c != 0 {
			return c
		}
		return int(x - y)
	})
	// Apply the permutation in place, one cycle at a time: ops[j] becomes the old ops[idx[j]].
	for i := range idx {
		if idx[i] < 0 {
			continue
		}
		tmp, j := ops[i], int32(i)
		for {
			k := idx[j]
			idx[j] = -1
			if k == int32(i) {
				ops[j] = tmp
				break
			}
			ops[j] = ops[k]
			j = k
		}
	}
}

// compareWho is the plan's order of the people its ops and memberships name: by email, then
// name, then the two ids as one string (what the plain stable sort compared before sortOps and
// finishMembers sorted indices). Written out, not a key struct: it runs O(n log n) times on a
// million memberships, and building a key per comparison would copy eight strings.
func compareWho(aEmail, aName, aEntraID, aSCIMID, bEmail, bName, bEntraID, bSCIMID string) int {
	if c := strings.Compare(aEmail, bEmail); c != 0 {
		return c
	}
	if c := strings.Compare(aName, bName); c != 0 {
		return c
	}
	return compareConcat(aEntraID, aSCIMID, bEntraID, bSCIMID)
}

// compareConcat compares a1+a2 with b1+b2 without building either string.
func compareConcat(a1, a2, b1, b2 string) int {
	if a1 == b1 {
		return strings.Compare(a2, b2)
	}
	la, lb := len(a1)+len(a2), len(b1)+len(b2)
	at := func(s1, s2 string, i int) byte {
		if i < len(s1) {
			return s1[i]
		}
		return s2[i-len(s1)]
	}
	for i := 0; i < min(la, lb); i++ {
		if x, y := at(a1, a2, i), at(b1, b2, i); x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return la - lb
}

// Digest is the sha256 of a canonical encoding of the tenant, the domain set and the operations
// (in plan order): the confirmation binds to it. Strings are length-prefixed and the rare
// attribute payloads (a user, its changes) JSON-encoded: encoding millions of membership ops
// through encoding/json's reflection took seconds of the plan.
func Digest(tenantID string, domains []string, ops iter.Seq2[int, Op]) string {
	h := sha256.New()
	b := make([]byte, 0, 64<<10)
	str := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	num := func(n int) {
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, ';')
	}
	str("idpsync.plan.v2")
	str(tenantID)
	num(len(domains))
	for _, d := range domains {
		str(d)
	}
	for _, o := range ops {
		op := &o
		num(op.Seq)
		for _, x := range [...]string{string(op.Action), op.EntraID, op.SCIMID, op.Name, op.Email, op.Reason, op.ExternalID} {
			str(x)
		}
		if op.Group != nil {
			b = append(b, 'g')
			str(op.Group.EntraID)
			str(op.Group.SCIMID)
			str(op.Group.Name)
		} else {
			b = append(b, '-')
		}
		num(len(op.Chain))
		for _, c := range op.Chain {
			str(c)
		}
		if op.User != nil || len(op.Changes) > 0 {
			js, _ := json.Marshal(struct {
				U *User
				C []report.Change
			}{op.User, op.Changes})
			b = append(b, 'u')
			str(string(js))
		} else {
			b = append(b, '-')
		}
		if len(b) >= 60<<10 {
			h.Write(b)
			b = b[:0]
		}
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// RemovalPercent is the share of the managed memberships the plan removes (100 when it removes
// some of none known).
func (p *Plan) RemovalPercent() float64 {
	if p.ManagedMemberships == 0 {
		if p.MembershipRemovals > 0 {
			return 100
		}
		return 0
	}
	return float64(p.MembershipRemovals) * 100 / float64(p.ManagedMemberships)
}

// ThresholdError is the error an apply gets when the plan trips the deactivation threshold.
func (p *Plan) ThresholdError() *apperr.Error {
	verb := "deactivates"
	if p.Settings.LeaveScope == LeaveScopeSuspend {
		verb = "deactivates or suspends" // suspensions count under the same threshold
	}
	return apperr.New(apperr.ThresholdExceeded, "the plan %s %d of %d managed users, over the threshold (%d users or %.1f%%)",
		verb, p.Deactivations, p.ManagedUsers, p.Settings.DeactivationMaxCount, p.Settings.DeactivationMaxPercent).
		WithAction("Review the deactivations in the preview; override the threshold for this run if they are expected.")
}

// Counts summarizes the plan's ops by object, action and result (report.Tally), in the order of
// the plan.
func Counts(p *Plan, result func(i int) report.Result) []report.Count {
	var t report.Tally
	for i := range p.Len() {
		a := p.Action(i)
		t.Add(a.Object(), a, result(i))
	}
	return t.InOrder()
}

func itoa(n int) string { return strconv.Itoa(n) }

// GroupExternalID is the externalId of the group a rename creates: the Entra id with a suffix
// derived from the new name, so the group is recognized as this Entra group's even when a crash
// kept its creation from being recorded.
func GroupExternalID(entraID, name string) string {
	h := sha256.Sum256([]byte(strings.ToLower(name)))
	return entraID + "~" + hex.EncodeToString(h[:4])
}

// ExternalOwner is the Entra id an Atlassian group's externalId names.
func ExternalOwner(ext string) string {
	if i := strings.IndexByte(ext, '~'); i > 0 {
		return ext[:i]
	}
	return ext
}

// orgConflict plans a desired group that the SCIM directory does not have but the organization
// does (read through the Organizations API, or learnt from a 409 of an earlier apply): a held
// conflict unless the admin skipped it or, having resolved it in Atlassian, asked to retry. It
// reports whether it planned the group (false: create it as usual).
func (pl *planner) orgConflict(id string, g *DesiredGroup, ref report.ObjectRef) bool {
	dec := pl.in.Decisions[id]
	var og OrgGroup
	found := false
	if pl.in.Org != nil {
		og, found = pl.in.Org.Groups[strings.ToLower(g.Name)]
	}
	// Known: read in the organization; or, without an organization read, learnt from a 409 and
	// since decided. A skip is honoured whatever the organization says: nothing is written to a
	// group the admin chose to leave alone.
	known := found || dec == DecisionSkip ||
		(pl.in.Org == nil && (dec == DecisionHeld || dec == DecisionRetry))
	if !known {
		// Not in the organization (or the organization was read and the 409's cause is gone).
		return false
	}
	c := Conflict{GroupEntraID: id, DisplayName: g.Name, AtlassianID: og.ID, Scope: ConflictInOrganization, DefaultAccess: og.DefaultAccess}
	if dec == DecisionSkip || dec == DecisionRetry {
		c.Decision = dec
	}
	switch {
	case og.DefaultAccess:
		c.Hint = "This is a default access group of an Atlassian app; Atlassian cannot sync it until its default status is removed " +
			"(admin.atlassian.com > Apps > Product access: \"Don't make this group default\"). Then retry, or skip it."
	case found:
		c.Hint = "A group with this name exists in the organization outside the SCIM directory (made by hand or by another directory), " +
			"so Atlassian refuses to create it. IdP Sync cannot take it over: rename or remove it in admin.atlassian.com, " +
			"or sync it there through Identity providers > Review groups, then retry; or skip it."
	default:
		c.Hint = "Atlassian refused to create this group (409) although the SCIM directory has no group with this name: " +
			"it exists elsewhere in the organization. Add an organization API key to see it, resolve it in admin.atlassian.com and retry, or skip it."
	}
	pl.p.Conflicts = append(pl.p.Conflicts, c)
	switch {
	case dec == DecisionSkip:
		pl.p.Skips = append(pl.p.Skips, report.Skip{Object: ref, Reason: ReasonConflictSkipped, Detail: "outside the SCIM directory"})
		return true
	case dec == DecisionRetry && !og.DefaultAccess:
		return false // the admin resolved it in Atlassian: create it; a new 409 holds it again
	}
	pl.add(Op{Action: report.ConflictGroup, EntraID: id, Name: g.Name, Reason: c.Hint})
	return true
}
