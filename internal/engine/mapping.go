package engine

import (
	"strconv"
	"strings"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/report"
)

// SCIM attribute paths of Atlassian's fixed Entra → SCIM mapping for its nested-groups identity
// provider, written out in UserFromEntra (and on the wire in internal/atlassian's encodeUser).
// They are the Attribute of report.Change, so a report names exactly what was written, and the
// paths the target's PATCH writes.
const (
	AttrUserName          = "userName"
	AttrExternalID        = "externalId"
	AttrGivenName         = "name.givenName"
	AttrFamilyName        = "name.familyName"
	AttrDisplayName       = "displayName"
	AttrEmail             = `emails[type eq "work"].value`
	AttrActive            = "active"
	AttrTitle             = "title"
	AttrPreferredLanguage = "preferredLanguage"
	AttrMobilePhone       = `phoneNumbers[type eq "mobile"].value`
	AttrWorkPhone         = `phoneNumbers[type eq "work"].value`
	AttrDepartment        = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
)

// UserFromEntra maps an Entra user with Atlassian's fixed table. An empty display name falls
// back to "given family", then to the userName, because Atlassian shows it everywhere.
func UserFromEntra(d directory.User) User {
	name := d.UserName()
	display := strings.TrimSpace(d.DisplayName)
	if display == "" {
		display = strings.TrimSpace(d.GivenName + " " + d.Surname)
	}
	if display == "" {
		display = name
	}
	return User{
		ExternalID:        d.ID,
		UserName:          name,
		Email:             name,
		DisplayName:       display,
		GivenName:         d.GivenName,
		FamilyName:        d.Surname,
		Title:             d.JobTitle,
		PreferredLanguage: d.PreferredLanguage,
		MobilePhone:       d.MobilePhone,
		WorkPhone:         d.BusinessPhone,
		Department:        d.Department,
		Active:            d.AccountEnabled,
	}
}

type userField struct {
	attr string
	get  func(*User) string
}

// userFields lists the compared attributes in a stable order. active is compared as "true"/"false".
var userFields = []userField{
	{AttrUserName, func(u *User) string { return u.UserName }},
	{AttrExternalID, func(u *User) string { return u.ExternalID }},
	{AttrDisplayName, func(u *User) string { return u.DisplayName }},
	{AttrGivenName, func(u *User) string { return u.GivenName }},
	{AttrFamilyName, func(u *User) string { return u.FamilyName }},
	{AttrEmail, func(u *User) string { return u.Email }},
	{AttrTitle, func(u *User) string { return u.Title }},
	{AttrPreferredLanguage, func(u *User) string { return u.PreferredLanguage }},
	{AttrMobilePhone, func(u *User) string { return u.MobilePhone }},
	{AttrWorkPhone, func(u *User) string { return u.WorkPhone }},
	{AttrDepartment, func(u *User) string { return u.Department }},
	{AttrActive, func(u *User) string { return strconv.FormatBool(u.Active) }},
}

// DiffUser lists what must change to turn current into desired. Values compare exactly: matching
// by userName is case-insensitive, but a change of case in the email is a real change the admin
// made in Entra and is written. An empty desired externalId never clears a known one.
func DiffUser(current, desired User) []report.Change {
	var out []report.Change
	for _, f := range userFields {
		o, n := f.get(&current), f.get(&desired)
		if o == n || (f.attr == AttrExternalID && n == "") {
			continue
		}
		out = append(out, report.Change{Attribute: f.attr, Old: o, New: n})
	}
	return out
}
