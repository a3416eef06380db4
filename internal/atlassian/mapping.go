package atlassian

import (
	"encoding/json"
	"strings"
)

// SCIM schema URNs.
const (
	SchemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SchemaList       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// pathActive is the SCIM path of the active attribute, which a PATCH carries as a boolean.
const pathActive = "active"

// User is a SCIM user as the client reads and writes it: exactly the mapped attributes
// (internal/engine.User has the same fields, so internal/adapter converts one to the other for free).
type User struct {
	ID                string `json:"id,omitempty"`
	ExternalID        string `json:"externalId,omitempty"`
	UserName          string `json:"userName"`
	DisplayName       string `json:"displayName,omitempty"`
	GivenName         string `json:"givenName,omitempty"`
	FamilyName        string `json:"familyName,omitempty"`
	Email             string `json:"email,omitempty"` // the work email
	Title             string `json:"title,omitempty"`
	PreferredLanguage string `json:"preferredLanguage,omitempty"`
	MobilePhone       string `json:"mobilePhone,omitempty"`
	WorkPhone         string `json:"workPhone,omitempty"`
	Department        string `json:"department,omitempty"`
	Active            bool   `json:"active"`
	// AccountID is the Atlassian account the SCIM user is linked to, read from Atlassian's
	// extension (AccountExtension); never written, and not part of the mapped attributes.
	AccountID string `json:"accountId,omitempty"`
}

// Group is a SCIM group with the ids of its (user) members.
type Group struct {
	ID          string   `json:"id,omitempty"`
	ExternalID  string   `json:"externalId,omitempty"`
	DisplayName string   `json:"displayName"`
	Members     []string `json:"members,omitempty"`
}

// PatchOp is one SCIM PATCH operation (RFC 7644 §3.5.2).
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// PatchOpFor is the PATCH operation that changes the attribute at path from old to new: add
// where there was no value, replace where there was one, remove where the new value is empty.
// active is sent as a boolean.
func PatchOpFor(path, old, new string) PatchOp {
	switch {
	case path == pathActive:
		return PatchOp{Op: "replace", Path: pathActive, Value: new == "true"}
	case new == "":
		return PatchOp{Op: "remove", Path: path}
	case old == "":
		return PatchOp{Op: "add", Path: path, Value: new}
	}
	return PatchOp{Op: "replace", Path: path, Value: new}
}

// ---- wire format ----

type scimName struct {
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	Formatted  string `json:"formatted,omitempty"`
}

type scimMulti struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

type scimEnterprise struct {
	Department string `json:"department,omitempty"`
}

type scimUser struct {
	Schemas           []string        `json:"schemas,omitempty"`
	ID                string          `json:"id,omitempty"`
	ExternalID        string          `json:"externalId,omitempty"`
	UserName          string          `json:"userName"`
	Name              *scimName       `json:"name,omitempty"`
	DisplayName       string          `json:"displayName,omitempty"`
	Title             string          `json:"title,omitempty"`
	PreferredLanguage string          `json:"preferredLanguage,omitempty"`
	Emails            []scimMulti     `json:"emails,omitempty"`
	PhoneNumbers      []scimMulti     `json:"phoneNumbers,omitempty"`
	Active            *bool           `json:"active,omitempty"`
	Enterprise        *scimEnterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	// Read only: Atlassian answers it, the client never sends it (encodeUser leaves it nil).
	Account *scimAccount `json:"urn:scim:schemas:extension:atlassian-external:1.0,omitempty"`
}

type scimAccount struct {
	AtlassianAccountID string `json:"atlassianAccountId,omitempty"`
}

type scimMember struct {
	Value string `json:"value"`
}

type scimGroup struct {
	Schemas     []string     `json:"schemas,omitempty"`
	ID          string       `json:"id,omitempty"`
	ExternalID  string       `json:"externalId,omitempty"`
	DisplayName string       `json:"displayName"`
	Members     []scimMember `json:"members,omitempty"`
}

func encodeUser(u User) scimUser {
	active := u.Active
	s := scimUser{
		Schemas:    []string{SchemaUser},
		ExternalID: u.ExternalID, UserName: u.UserName, DisplayName: u.DisplayName,
		Title: u.Title, PreferredLanguage: u.PreferredLanguage, Active: &active,
	}
	if u.GivenName != "" || u.FamilyName != "" {
		s.Name = &scimName{GivenName: u.GivenName, FamilyName: u.FamilyName}
	}
	if u.Email != "" {
		s.Emails = []scimMulti{{Value: u.Email, Type: "work", Primary: true}}
	}
	if u.MobilePhone != "" {
		s.PhoneNumbers = append(s.PhoneNumbers, scimMulti{Value: u.MobilePhone, Type: "mobile"})
	}
	if u.WorkPhone != "" {
		s.PhoneNumbers = append(s.PhoneNumbers, scimMulti{Value: u.WorkPhone, Type: "work"})
	}
	if u.Department != "" {
		s.Schemas = append(s.Schemas, SchemaEnterprise)
		s.Enterprise = &scimEnterprise{Department: u.Department}
	}
	return s
}

func decodeUser(raw []byte) (User, error) {
	var s scimUser
	if err := json.Unmarshal(raw, &s); err != nil || s.ID == "" {
		return User{}, badResponse("decode user", &response{status: 200, body: raw}, errOr(err))
	}
	u := User{
		ID: s.ID, ExternalID: s.ExternalID, UserName: s.UserName, DisplayName: s.DisplayName,
		Title: s.Title, PreferredLanguage: s.PreferredLanguage, Active: s.Active == nil || *s.Active,
	}
	if s.Name != nil {
		u.GivenName, u.FamilyName = s.Name.GivenName, s.Name.FamilyName
	}
	u.Email = pick(s.Emails, "work", true)
	u.MobilePhone = pick(s.PhoneNumbers, "mobile", false)
	u.WorkPhone = pick(s.PhoneNumbers, "work", false)
	if s.Enterprise != nil {
		u.Department = s.Enterprise.Department
	}
	if s.Account != nil {
		u.AccountID = s.Account.AtlassianAccountID
	}
	return u, nil
}

// pick returns the value of the given type; for emails, a primary or lone value stands in for
// "work" because accounts made elsewhere may carry no type.
func pick(vals []scimMulti, typ string, fallback bool) string {
	for _, v := range vals {
		if strings.EqualFold(v.Type, typ) {
			return v.Value
		}
	}
	if !fallback {
		return ""
	}
	for _, v := range vals {
		if v.Primary {
			return v.Value
		}
	}
	if len(vals) == 1 {
		return vals[0].Value
	}
	return ""
}

func decodeGroup(raw []byte) (Group, error) {
	var s scimGroup
	if err := json.Unmarshal(raw, &s); err != nil || s.ID == "" {
		return Group{}, badResponse("decode group", &response{status: 200, body: raw}, errOr(err))
	}
	g := Group{ID: s.ID, ExternalID: s.ExternalID, DisplayName: s.DisplayName}
	for _, m := range s.Members {
		g.Members = append(g.Members, m.Value)
	}
	return g, nil
}

func errOr(err error) error {
	if err != nil {
		return err
	}
	return errNotSCIM
}
