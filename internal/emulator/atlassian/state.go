package atlassian

import (
	"fmt"
	"slices"
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

// index is one SCIM resource type's keys, kept with every create, replace and delete: ids by
// name in any case (userName, displayName: Atlassian refuses a second one that differs only in
// case), by externalId (case-exact), and in creation order, which unfiltered list pages walk.
type index struct {
	order  []string
	byName map[string]string // lower-case name → id
	byExt  map[string]string // externalId → id
}

func newIndex() index { return index{byName: map[string]string{}, byExt: map[string]string{}} }

// lookup is the id a filter attr eq val names ("" when none): by externalId, else by name.
func (x *index) lookup(attr, val string) string {
	if attr == "externalId" {
		return x.byExt[val]
	}
	return x.byName[strings.ToLower(val)]
}

// clash is the 409 Atlassian answers when a resource other than self ("" for a create) holds
// name (nameAttr: userName or displayName) or, when not empty, ext; nil when neither is taken.
func (x *index) clash(kind, nameAttr, name, ext, self string) *scimErr {
	if id, ok := x.byName[strings.ToLower(name)]; ok && id != self {
		return &scimErr{409, "uniqueness", fmt.Sprintf("Resource [%s]: with %s[%s] already exists.", kind, nameAttr, name)}
	}
	if id, ok := x.byExt[ext]; ok && ext != "" && id != self {
		return &scimErr{409, "uniqueness", fmt.Sprintf("Resource [%s]: with externalId[%s] already exists.", kind, ext)}
	}
	return nil
}

func (x *index) add(id, name, ext string) {
	x.order = append(x.order, id)
	x.key(id, name, ext)
}

func (x *index) key(id, name, ext string) {
	x.byName[strings.ToLower(name)] = id
	if ext != "" {
		x.byExt[ext] = id
	}
}

func (x *index) unkey(name, ext string) {
	delete(x.byName, strings.ToLower(name))
	if ext != "" {
		delete(x.byExt, ext)
	}
}

// rekey moves id from its old name and externalId to the new ones (its place in order stays).
func (x *index) rekey(id, oldName, oldExt, name, ext string) {
	x.unkey(oldName, oldExt)
	x.key(id, name, ext)
}

func (x *index) remove(id, name, ext string) {
	x.unkey(name, ext)
	if i := slices.Index(x.order, id); i >= 0 {
		x.order = slices.Delete(x.order, i, i+1)
	}
}
