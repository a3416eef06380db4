package engine

import (
	"slices"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Domain and user selection modes (Atlassian's wording: "Verify all available domains" /
// "Verify only specific domains"; "Sync all users and groups" / "Sync specific groups and their users").
const (
	DomainsAll      = "all"
	DomainsSpecific = "specific"
	UsersAll        = "all"
	UsersGroups     = "groups"
)

// "When a user leaves scope": deactivate the account (Atlassian's and the default), or suspend
// its access in the directory through the Organizations API v2 ("Suspend user access in
// directory": roles and group memberships are kept, the user is not billed) and restore it when
// the user returns. Suspending needs the organization id and key.
const (
	LeaveScopeDeactivate = "deactivate"
	LeaveScopeSuspend    = "suspend"
)

// Atlassian's limits (support.atlassian.com, "Users and Groups limits"): the
// defaults of a synced directory, and the published maxima Atlassian raises them to on request.
const (
	MaxUsersPerGroup     = 35000  // default users per group
	MaxUsersPerDirectory = 150000 // default users per directory

	CeilingUsersPerDirectory = 1_000_000
	CeilingUsersPerGroup     = 290_000
	CeilingGroups            = 250_000
	CeilingMemberships       = 8_000_000
)

// Limits are a directory's Atlassian limits: its defaults, or what Atlassian raised them to for
// this organization. Zero means the default. Groups and memberships default to the published
// maxima: Atlassian publishes no lower default for them.
type Limits struct {
	Users         int `json:"users"`
	UsersPerGroup int `json:"usersPerGroup"`
	Groups        int `json:"groups"`
	Memberships   int `json:"memberships"`
}

// DefaultLimits are Atlassian's defaults for a synced directory.
func DefaultLimits() Limits {
	return Limits{Users: MaxUsersPerDirectory, UsersPerGroup: MaxUsersPerGroup, Groups: CeilingGroups, Memberships: CeilingMemberships}
}

func (l Limits) normalize() (Limits, error) {
	d := DefaultLimits()
	for _, f := range []struct {
		v       *int
		def, mx int
		what    string
	}{
		{&l.Users, d.Users, CeilingUsersPerDirectory, "users per directory"},
		{&l.UsersPerGroup, d.UsersPerGroup, CeilingUsersPerGroup, "users per group"},
		{&l.Groups, d.Groups, CeilingGroups, "groups"},
		{&l.Memberships, d.Memberships, CeilingMemberships, "memberships"},
	} {
		if *f.v == 0 {
			*f.v = f.def
		}
		if *f.v < 0 || *f.v > f.mx {
			return l, apperr.New(apperr.InvalidInput, "the limit of %s must be between 1 and %d, Atlassian's published maximum (got %d)", f.what, f.mx, *f.v).
				WithAction("Enter the limit Atlassian set for your organization (the default, unless Atlassian raised it on request).")
		}
	}
	return l, nil
}

// Settings are a directory's sync settings. They are stored as JSON and bound to the screens as
// they are, so every field is a plain JSON value (durations in minutes, no maps).
type Settings struct {
	DomainMode string   `json:"domainMode"`        // DomainsAll | DomainsSpecific
	Domains    []string `json:"domains,omitempty"` // lower case; used with DomainsSpecific
	UserMode   string   `json:"userMode"`          // UsersAll | UsersGroups
	Groups     []string `json:"groups,omitempty"`  // selected Entra group ids; used with UsersGroups

	// IncludeDisabled creates accounts for users disabled in Entra as inactive accounts; by default
	// a disabled user is only ever a deactivation, never a create.
	IncludeDisabled bool `json:"includeDisabled"`
	// IncludeExternal syncs guests whatever their domain (the default, as Atlassian does).
	IncludeExternal bool `json:"includeExternal"`

	AutoSync            bool `json:"autoSync"`
	AutoIntervalMinutes int  `json:"autoIntervalMinutes"`

	// The deactivation threshold: an apply that would deactivate more than either is blocked
	// unless overridden for that run. Zero disables that half of the check.
	DeactivationMaxCount   int     `json:"deactivationMaxCount"`
	DeactivationMaxPercent float64 `json:"deactivationMaxPercent"`
	// The membership-removal threshold: an apply that would remove more group memberships than
	// either (every member of a group it deletes counts, with deleteOutOfScopeGroups) is blocked
	// unless overridden for that run. Percent of the memberships of the managed groups. Zero
	// disables that half of the check.
	RemovalMaxCount   int     `json:"removalMaxCount"`
	RemovalMaxPercent float64 `json:"removalMaxPercent"`

	ProtectedGroups        []string `json:"protectedGroups,omitempty"` // Atlassian group display names never written
	DeleteOutOfScopeGroups bool     `json:"deleteOutOfScopeGroups"`
	FullReconcileEvery     int      `json:"fullReconcileEvery"` // a full read every N runs (0: every run)
	MemberChunkSize        int      `json:"memberChunkSize"`
	Concurrency            int      `json:"concurrency"`
	// Limits are Atlassian's limits for this directory (raised by Atlassian on request).
	Limits Limits `json:"limits,omitempty"`
	// LeaveScope is LeaveScopeDeactivate (also when empty) or LeaveScopeSuspend.
	LeaveScope string `json:"leaveScope"`
}

// DefaultSettings is what a new directory starts with.
func DefaultSettings() Settings {
	return Settings{
		DomainMode:             DomainsAll,
		UserMode:               UsersAll,
		IncludeExternal:        true,
		AutoIntervalMinutes:    240,
		DeactivationMaxCount:   50,
		DeactivationMaxPercent: 10,
		// Ten times the deactivation count, as a deactivated user takes several memberships
		// with it; emptying one 1,000-member group trips it (issue 14 point 2).
		RemovalMaxCount:    500,
		RemovalMaxPercent:  10,
		FullReconcileEvery: 10,
		MemberChunkSize:    100,
		Concurrency:        32, // operations in flight; the adaptive limiter, not this, paces Atlassian
		Limits:             DefaultLimits(),
		LeaveScope:         LeaveScopeDeactivate,
	}
}

// Normalize lower-cases and sorts the domain list, fills zero tunables with their defaults and
// refuses values that make no sense, so that a stored or bound Settings is always usable.
func (s Settings) Normalize() (Settings, error) {
	d := DefaultSettings()
	if s.DomainMode == "" {
		s.DomainMode = d.DomainMode
	}
	if s.UserMode == "" {
		s.UserMode = d.UserMode
	}
	if s.LeaveScope == "" {
		s.LeaveScope = LeaveScopeDeactivate
	}
	if s.LeaveScope != LeaveScopeDeactivate && s.LeaveScope != LeaveScopeSuspend {
		return s, apperr.New(apperr.InvalidInput, "unknown choice %q for when a user leaves scope", s.LeaveScope).
			WithAction("Choose Deactivate or Suspend access.")
	}
	if s.DomainMode != DomainsAll && s.DomainMode != DomainsSpecific {
		return s, apperr.New(apperr.InvalidInput, "unknown domain mode %q", s.DomainMode)
	}
	if s.UserMode != UsersAll && s.UserMode != UsersGroups {
		return s, apperr.New(apperr.InvalidInput, "unknown user mode %q", s.UserMode)
	}
	s.Domains = normSet(s.Domains, strings.ToLower)
	s.Groups = normSet(s.Groups, func(x string) string { return x })
	s.ProtectedGroups = normSet(s.ProtectedGroups, func(x string) string { return x })
	if s.DomainMode == DomainsSpecific && len(s.Domains) == 0 {
		return s, apperr.New(apperr.InvalidInput, "no domain is selected").WithAction("Select at least one verified domain, or choose all verified domains.")
	}
	if s.UserMode == UsersGroups && len(s.Groups) == 0 {
		return s, apperr.New(apperr.InvalidInput, "no group is selected").WithAction("Select at least one group, or choose all users and groups.")
	}
	if s.AutoIntervalMinutes <= 0 {
		s.AutoIntervalMinutes = d.AutoIntervalMinutes
	}
	if s.AutoIntervalMinutes < 5 {
		return s, apperr.New(apperr.InvalidInput, "the automatic sync interval must be at least 5 minutes")
	}
	if s.DeactivationMaxCount < 0 || s.DeactivationMaxPercent < 0 || s.DeactivationMaxPercent > 100 {
		return s, apperr.New(apperr.InvalidInput, "the deactivation threshold must be a count ≥ 0 and a percentage between 0 and 100")
	}
	if s.RemovalMaxCount < 0 || s.RemovalMaxPercent < 0 || s.RemovalMaxPercent > 100 {
		return s, apperr.New(apperr.InvalidInput, "the membership-removal threshold must be a count ≥ 0 and a percentage between 0 and 100")
	}
	if s.FullReconcileEvery < 0 {
		s.FullReconcileEvery = 0
	}
	if s.MemberChunkSize <= 0 || s.MemberChunkSize > 1000 {
		s.MemberChunkSize = d.MemberChunkSize
	}
	if s.Concurrency <= 0 || s.Concurrency > 64 {
		s.Concurrency = d.Concurrency
	}
	var err error
	if s.Limits, err = s.Limits.normalize(); err != nil {
		return s, err
	}
	return s, nil
}

func normSet(in []string, f func(string) string) []string {
	out := make([]string, 0, len(in))
	for _, x := range in {
		x = strings.TrimSpace(f(x))
		if x != "" {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
