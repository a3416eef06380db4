package engine

import (
	"slices"
	"strconv"
	"strings"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// Reason codes of objects left out of scope (report.Skip.Reason); stable, the screens translate them.
const (
	ReasonUnverifiedDomain      = "unverified_domain"
	ReasonDomainNotSelected     = "domain_not_selected"
	ReasonNoEmail               = "no_email"
	ReasonOutsideSelectedGroups = "outside_selected_groups"
	ReasonOverGroupLimit        = "over_group_limit"
	ReasonOverDirectoryLimit    = "over_directory_limit"
	ReasonOverGroupCountLimit   = "over_group_count_limit" // beyond the directory's number of groups
	ReasonUnsupportedMember     = "unsupported_member_type"
	ReasonDuplicateEmail        = "duplicate_email"
	ReasonDuplicateGroupName    = "duplicate_group_name"
	ReasonNoGroupName           = "no_group_name"
	ReasonExternalExcluded      = "external_excluded"
	ReasonDisabledNotCreated    = "disabled_not_created"
	ReasonProtectedGroup        = "protected_group"
	ReasonConflictSkipped       = "conflict_skipped"
	ReasonUserNameTaken         = "username_taken" // the userName belongs to an account linked to another Entra user
)

// Desired is the state the organization should have: the users and groups in scope with their
// mapped attributes and flattened memberships, and everything left out with its reason.
type Desired struct {
	Tenant    directory.Tenant
	Domains   []string // the effective domain set: selected and verified, sorted; the confirmation binds to it
	Users     map[string]*DesiredUser
	Groups    map[string]*DesiredGroup
	Skips     []report.Skip
	skipped   map[string]string // entra user id → reason, for deactivation reasons
	Flat      *directory.Flat
	names     map[string]string // entra group id → display name (all groups)
	OverLimit bool
	Over      []string // which limits the desired state exceeds, in words, for the plan error
}

// DesiredUser is one user in scope.
type DesiredUser struct {
	// Entra is the snapshot's user (not a copy: 240 bytes per user of a 100,000-user scope).
	Entra *directory.User
	SCIM  User // mapped attributes (externalId, active included)
}

// DesiredGroup is one group in scope with its transitive user members in scope.
type DesiredGroup struct {
	ID      string
	Name    string
	Members []string // Entra user ids, sorted
}

// scopeDomains returns the tenant's verified domains and those of them the settings select.
func scopeDomains(doms []directory.Domain, st Settings) (verified, selected map[string]bool) {
	verified, selected = map[string]bool{}, map[string]bool{}
	for _, dom := range doms {
		if dom.IsVerified {
			verified[strings.ToLower(dom.Name)] = true
		}
	}
	if st.DomainMode == DomainsSpecific {
		for _, x := range st.Domains {
			if verified[x] {
				selected[x] = true
			}
		}
	} else {
		for x := range verified {
			selected[x] = true
		}
	}
	return verified, selected
}

// SyncDomains is the domain set a sync of a tenant with these domains uses under st (normalized):
// the set its plan names and its confirmation must name.
func SyncDomains(doms []directory.Domain, st Settings) []string {
	_, selected := scopeDomains(doms, st)
	return sortedKeys(selected)
}

// Scope applies the settings to a snapshot. Settings must be normalized.
func Scope(snap *directory.Snapshot, st Settings, flat *directory.Flat) *Desired {
	if flat == nil {
		flat = directory.Flatten(snap)
	}
	d := &Desired{Tenant: snap.Tenant, Users: map[string]*DesiredUser{}, Groups: map[string]*DesiredGroup{}, Flat: flat,
		skipped: map[string]string{}, names: make(map[string]string, len(snap.Groups))}

	verified, selected := scopeDomains(snap.Domains, st)
	d.Domains = sortedKeys(selected)

	groupsByID := make(map[string]*directory.Group, len(snap.Groups))
	for i := range snap.Groups {
		g := &snap.Groups[i]
		groupsByID[g.ID] = g
		d.names[g.ID] = g.DisplayName
	}

	// Groups in scope: all, or the selected ones with their nested subgroups.
	inScopeGroup := map[string]bool{}
	if st.UserMode == UsersGroups {
		for _, id := range st.Groups {
			if _, ok := groupsByID[id]; !ok {
				continue
			}
			inScopeGroup[id] = true
			for _, sub := range flat.Subgroups(id) {
				if _, ok := groupsByID[sub]; ok {
					inScopeGroup[sub] = true
				}
			}
		}
	} else {
		for id := range groupsByID {
			inScopeGroup[id] = true
		}
	}

	// Users in scope by the group selection.
	var candidate map[string]bool
	if st.UserMode == UsersGroups {
		candidate = map[string]bool{}
		for id := range inScopeGroup {
			for _, u := range flat.Members(id) {
				candidate[u] = true
			}
		}
	}

	// Read in place when already in id order (ApplyDelta's and the stored snapshot's are): a
	// sorted copy of 100,000 users is 19 MB.
	users := snap.Users
	byID := func(a, b directory.User) int { return strings.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(users, byID) {
		users = slices.Clone(users)
		slices.SortFunc(users, byID)
	}
	byName := map[string]string{} // lower userName → entra id
	for i := range users {
		u := &users[i]
		reason, detail := "", ""
		switch {
		case candidate != nil && !candidate[u.ID]:
			reason = ReasonOutsideSelectedGroups
		case u.IsExternal() && !st.IncludeExternal:
			reason = ReasonExternalExcluded
		case u.EmailDomain() == "" || strings.IndexByte(u.UserName(), '@') <= 0:
			reason = ReasonNoEmail
		case u.IsExternal():
			// guests sync whatever their domain
		case !verified[u.EmailDomain()]:
			reason, detail = ReasonUnverifiedDomain, u.EmailDomain()
		case !selected[u.EmailDomain()]:
			reason, detail = ReasonDomainNotSelected, u.EmailDomain()
		}
		if reason == "" {
			key := strings.ToLower(u.UserName())
			if first, dup := byName[key]; dup {
				reason, detail = ReasonDuplicateEmail, "same email as Entra user "+first
			} else {
				byName[key] = u.ID
			}
		}
		if reason != "" {
			d.skipUser(u, reason, detail)
			continue
		}
		d.Users[u.ID] = &DesiredUser{Entra: u, SCIM: UserFromEntra(*u)}
	}

	lim, err := st.Limits.normalize()
	if err != nil {
		lim = DefaultLimits()
	}
	// Atlassian caps a directory; over it the plan is refused (no partial write), and the users
	// beyond the cap (in id order) are named.
	if len(d.Users) > lim.Users {
		d.OverLimit = true
		d.Over = append(d.Over, itoa(len(d.Users))+" users, over the directory's limit of "+itoa(lim.Users))
		ids := sortedKeys(d.Users)
		for _, id := range ids[lim.Users:] {
			d.skipUser(d.Users[id].Entra, ReasonOverDirectoryLimit, "")
			delete(d.Users, id)
		}
	}

	groupNames := map[string]string{}
	gids := sortedKeys(inScopeGroup)
	for _, id := range gids {
		g := groupsByID[id]
		ref := report.ObjectRef{Type: "group", Name: g.DisplayName, EntraID: g.ID}
		name := strings.TrimSpace(g.DisplayName)
		if name == "" {
			d.Skips = append(d.Skips, report.Skip{Object: ref, Reason: ReasonNoGroupName})
			continue
		}
		key := strings.ToLower(name)
		if first, dup := groupNames[key]; dup {
			d.Skips = append(d.Skips, report.Skip{Object: ref, Reason: ReasonDuplicateGroupName, Detail: "same name as Entra group " + first})
			continue
		}
		groupNames[key] = id
		// Filtered in place: Members returns a fresh slice, and appending to another grew
		// 2.87 M member ids at scenario L to 76 MB of slices for 46 MB of ids.
		all := flat.Members(id)
		members := all[:0]
		for _, u := range all {
			if _, ok := d.Users[u]; ok {
				members = append(members, u)
			}
		}
		if len(members) == 0 {
			members = nil
		} else if cap(members)-len(members) > len(members)/8 {
			members = slices.Clone(members) // many out of scope: do not keep the room
		}
		if len(members) > lim.UsersPerGroup {
			d.OverLimit = true
			d.Over = append(d.Over, "group "+strconv.Quote(name)+" has "+itoa(len(members))+" users, over the limit of "+itoa(lim.UsersPerGroup)+" per group")
			d.Skips = append(d.Skips, report.Skip{Object: ref, Reason: ReasonOverGroupLimit, Detail: itoa(len(members)) + " users"})
			continue
		}
		for _, m := range flat.Others(id) {
			d.Skips = append(d.Skips, report.Skip{Object: report.ObjectRef{Type: "member", Name: m.ODataType, EntraID: m.ID},
				Reason: ReasonUnsupportedMember, Detail: "member of " + g.DisplayName})
		}
		d.Groups[id] = &DesiredGroup{ID: id, Name: name, Members: members}
	}
	if len(d.Groups) > lim.Groups {
		d.OverLimit = true
		d.Over = append(d.Over, itoa(len(d.Groups))+" groups, over the directory's limit of "+itoa(lim.Groups))
		for _, id := range sortedKeys(d.Groups)[lim.Groups:] {
			g := d.Groups[id]
			d.Skips = append(d.Skips, report.Skip{Object: report.ObjectRef{Type: "group", Name: g.Name, EntraID: id}, Reason: ReasonOverGroupCountLimit})
			delete(d.Groups, id)
		}
	}
	memberships := 0
	for _, g := range d.Groups {
		memberships += len(g.Members)
	}
	if memberships > lim.Memberships {
		d.OverLimit = true
		d.Over = append(d.Over, itoa(memberships)+" memberships, over the directory's limit of "+itoa(lim.Memberships))
	}
	if st.UserMode == UsersGroups {
		for i := range snap.Groups {
			g := &snap.Groups[i]
			if !inScopeGroup[g.ID] {
				d.Skips = append(d.Skips, report.Skip{Object: report.ObjectRef{Type: "group", Name: g.DisplayName, EntraID: g.ID}, Reason: ReasonOutsideSelectedGroups})
			}
		}
	}
	return d
}

func (d *Desired) skipUser(u *directory.User, reason, detail string) {
	d.skipped[u.ID] = reason
	d.Skips = append(d.Skips, report.Skip{Object: userRef(u), Reason: reason, Detail: detail})
}

func userRef(u *directory.User) report.ObjectRef {
	return report.ObjectRef{Type: "user", Name: u.DisplayName, Email: u.UserName(), EntraID: u.ID}
}

// GroupName is the Entra display name of any group of the snapshot.
func (d *Desired) GroupName(id string) string { return d.names[id] }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
