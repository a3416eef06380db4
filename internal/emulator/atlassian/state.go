package atlassian

import (
	"sort"
	"strings"
	"time"
)

// Multi is one value of a multi-valued SCIM attribute (emails, phoneNumbers).
type Multi struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// User is a SCIM user record of the directory.
type User struct {
	ID                string  `json:"id"`
	ExternalID        string  `json:"externalId,omitempty"`
	UserName          string  `json:"userName"`
	DisplayName       string  `json:"displayName,omitempty"`
	NickName          string  `json:"nickName,omitempty"`
	GivenName         string  `json:"givenName,omitempty"`
	FamilyName        string  `json:"familyName,omitempty"`
	Title             string  `json:"title,omitempty"`
	PreferredLanguage string  `json:"preferredLanguage,omitempty"`
	Timezone          string  `json:"timezone,omitempty"`
	Department        string  `json:"department,omitempty"`
	Organization      string  `json:"organization,omitempty"`
	Emails            []Multi `json:"emails,omitempty"`
	PhoneNumbers      []Multi `json:"phoneNumbers,omitempty"`
	Active            bool    `json:"active"`
	Managed           bool    `json:"managed"` // the email is on a domain the organization verified
	// AccountID is the Atlassian account the record is linked to (answered in the
	// atlassian-external extension); Suspended: its access in the directory is suspended
	// (Organizations API v2), which SCIM does not show (active stays as it is).
	AccountID string    `json:"accountId,omitempty"`
	Suspended bool      `json:"suspended,omitempty"`
	Created   time.Time `json:"created"`
	Modified  time.Time `json:"modified"`
}

// Email is the work (else primary, else first) email.
func (u *User) Email() string {
	for _, e := range u.Emails {
		if strings.EqualFold(e.Type, "work") {
			return e.Value
		}
	}
	for _, e := range u.Emails {
		if e.Primary {
			return e.Value
		}
	}
	if len(u.Emails) > 0 {
		return u.Emails[0].Value
	}
	return ""
}

// Phone is the phone number of the given type.
func (u *User) Phone(typ string) string {
	for _, p := range u.PhoneNumbers {
		if strings.EqualFold(p.Type, typ) {
			return p.Value
		}
	}
	return ""
}

func (u *User) clone() *User {
	c := *u
	c.Emails = append([]Multi(nil), u.Emails...)
	c.PhoneNumbers = append([]Multi(nil), u.PhoneNumbers...)
	return &c
}

// Group is a SCIM group of the directory.
type Group struct {
	ID          string    `json:"id"`
	ExternalID  string    `json:"externalId,omitempty"`
	DisplayName string    `json:"displayName"`
	Members     []string  `json:"members"` // user ids, sorted
	Created     time.Time `json:"created"`
}

type group struct {
	id, externalID, displayName string
	members                     map[string]struct{}
	created                     time.Time
}

func (g *group) export() Group {
	return Group{ID: g.id, ExternalID: g.externalID, DisplayName: g.displayName, Members: sortedKeys(g.members), Created: g.created}
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Account is an Atlassian account outside the SCIM directory: made by hand (seeded), or left
// behind when its SCIM record was deleted (unlinked, and deactivated if the organization manages it).
type Account struct {
	ID          string `json:"id,omitempty"` // Atlassian account id; assigned when first linked
	Email       string `json:"email"`
	DisplayName string `json:"displayName,omitempty"`
	Active      bool   `json:"active"`
	LinkedTo    string `json:"linkedTo,omitempty"` // SCIM user id once a POST linked it
	Origin      string `json:"origin"`             // "seeded" | "unlinked"
}

// OrgGroup is a group made in admin.atlassian.com (not through SCIM): SCIM cannot list it, and a
// SCIM group of the same name is refused (409, or 400 for a default access group).
type OrgGroup struct {
	ID            string `json:"id,omitempty"`          // v2 group id; derived from the name when empty
	DirectoryID   string `json:"directoryId,omitempty"` // v2 directory; LocalDirectoryID when empty
	Name          string `json:"name"`
	DefaultAccess bool   `json:"defaultAccess"`
}

// Domain is one domain of the organization and its claim.
type Domain struct {
	Name      string `json:"name"`
	ClaimType string `json:"claimType"` // dns | http
	Status    string `json:"status"`    // verified | unverified | superseded | missing_token | deleted
}

// State is a copy of everything the emulator holds, for tests to compare with the desired state.
type State struct {
	Users     []User     `json:"users"`  // sorted by userName (lower case)
	Groups    []Group    `json:"groups"` // sorted by displayName
	Accounts  []Account  `json:"accounts"`
	OrgGroups []OrgGroup `json:"orgGroups"`
}

// UserByUserName finds a user (case-insensitive).
func (s State) UserByUserName(name string) (User, bool) {
	for _, u := range s.Users {
		if strings.EqualFold(u.UserName, name) {
			return u, true
		}
	}
	return User{}, false
}

// GroupByName finds a group (case-insensitive).
func (s State) GroupByName(name string) (Group, bool) {
	for _, g := range s.Groups {
		if strings.EqualFold(g.DisplayName, name) {
			return g, true
		}
	}
	return Group{}, false
}

// MemberNames returns the userNames of a group's members, sorted.
func (s State) MemberNames(g Group) []string {
	byID := make(map[string]string, len(s.Users))
	for _, u := range s.Users {
		byID[u.ID] = u.UserName
	}
	out := make([]string, 0, len(g.Members))
	for _, id := range g.Members {
		out = append(out, byID[id])
	}
	sort.Strings(out)
	return out
}
