// Package directory is the domain model of an Entra ID tenant as the sync sees it: the tenant,
// its domains, users, groups and direct memberships in compact structs, and the flattening of
// nested groups into transitive user memberships with the chain of groups that explains each.
package directory

import "strings"

// Cloud names the Microsoft cloud a tenant lives in; each has its own authority and Graph host.
type Cloud string

const (
	CloudGlobal Cloud = "global"
	CloudUSGov  Cloud = "usgov"
	CloudChina  Cloud = "china"
)

// Tenant is the Entra organization.
type Tenant struct {
	ID              string   `json:"id"`
	DisplayName     string   `json:"displayName"`
	InitialDomain   string   `json:"initialDomain"` // the *.onmicrosoft.com domain
	DefaultDomain   string   `json:"defaultDomain"`
	VerifiedDomains []string `json:"verifiedDomains"`
}

// Domain is one of the tenant's domains as /domains reports it.
type Domain struct {
	Name       string `json:"name"` // lower case
	IsVerified bool   `json:"isVerified"`
	IsDefault  bool   `json:"isDefault"`
	IsInitial  bool   `json:"isInitial"`
}

// User holds exactly the properties the attribute mapping needs (atlassian.UserFromEntra).
type User struct {
	ID                string `json:"id"` // Entra object id; becomes the SCIM externalId
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail,omitempty"`
	GivenName         string `json:"givenName,omitempty"`
	Surname           string `json:"surname,omitempty"`
	DisplayName       string `json:"displayName,omitempty"`
	JobTitle          string `json:"jobTitle,omitempty"`
	PreferredLanguage string `json:"preferredLanguage,omitempty"`
	MobilePhone       string `json:"mobilePhone,omitempty"`
	BusinessPhone     string `json:"businessPhone,omitempty"` // businessPhones[0]
	Department        string `json:"department,omitempty"`
	UserType          string `json:"userType,omitempty"` // "Member" or "Guest"
	AccountEnabled    bool   `json:"accountEnabled"`
}

// UserName is the SCIM userName and work email: mail, else userPrincipalName.
func (u *User) UserName() string {
	if u.Mail != "" {
		return u.Mail
	}
	return u.UserPrincipalName
}

// IsExternal reports a guest: userType Guest or #EXT# in the UPN. External users sync whatever their domain.
func (u *User) IsExternal() bool {
	return strings.EqualFold(u.UserType, "Guest") || strings.Contains(strings.ToUpper(u.UserPrincipalName), "#EXT#")
}

// EmailDomain is the lower-cased domain of UserName, or "" when it has none.
func (u *User) EmailDomain() string {
	n := u.UserName()
	at := strings.LastIndexByte(n, '@')
	if at < 0 || at == len(n)-1 {
		return ""
	}
	return strings.ToLower(n[at+1:])
}

// Group is an Entra group.
type Group struct {
	ID              string   `json:"id"`
	DisplayName     string   `json:"displayName"`
	GroupTypes      []string `json:"groupTypes,omitempty"`
	SecurityEnabled bool     `json:"securityEnabled"`
	MailEnabled     bool     `json:"mailEnabled"`
}

// MemberKind is the @odata.type of a directory object in a group's members.
type MemberKind uint8

const (
	MemberUser MemberKind = iota + 1
	MemberGroup
	MemberOther // service principals, devices, org contacts: never synced, reported
)

// Member is one direct member of a group.
type Member struct {
	ID        string     `json:"id"`
	Kind      MemberKind `json:"kind"`
	ODataType string     `json:"odataType,omitempty"` // kept for MemberOther so the report can name it
}

// Snapshot is a full read of the tenant. Members maps a group id to its direct members.
type Snapshot struct {
	Tenant  Tenant              `json:"tenant"`
	Domains []Domain            `json:"domains"`
	Users   []User              `json:"users"`
	Groups  []Group             `json:"groups"`
	Members map[string][]Member `json:"members"`
}

// Delta is an incremental read: changed and removed objects, and membership changes.
type Delta struct {
	Users          []User       `json:"users"`          // added or changed (full objects)
	RemovedUsers   []string     `json:"removedUsers"`   // ids with @removed
	Groups         []Group      `json:"groups"`         // added or changed
	RemovedGroups  []string     `json:"removedGroups"`  // ids with @removed
	MembersAdded   []MemberEdge `json:"membersAdded"`   // from members@delta
	MembersRemoved []MemberEdge `json:"membersRemoved"` // from members@delta with @removed
	Links          DeltaLinks   `json:"-"`
}

// MemberEdge is one direct membership change.
type MemberEdge struct {
	GroupID string `json:"groupId"`
	Member  Member `json:"member"`
}

// DeltaLinks are the deltaLinks that resume incremental reads; they are stored per directory.
type DeltaLinks struct {
	Users  string `json:"users"`
	Groups string `json:"groups"`
}
