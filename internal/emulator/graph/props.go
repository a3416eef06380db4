package graph

import (
	"slices"
	"strings"

	"github.com/idpsync/idpsync/internal/directory"
	"github.com/idpsync/idpsync/internal/jsonstr"
)

type userProp func(b []byte, u *directory.User) []byte
type groupProp func(b []byte, g *directory.Group) []byte

func nullUser(b []byte, _ *directory.User) []byte   { return append(b, "null"...) }
func nullGroup(b []byte, _ *directory.Group) []byte { return append(b, "null"...) }

// userProps are the user properties the emulator knows; anything else in $select is a 400, as
// Graph answers for a property that does not exist on microsoft.graph.user.
var userProps = map[string]userProp{
	"id":                func(b []byte, u *directory.User) []byte { return jsonstr.Append(b, u.ID) },
	"userPrincipalName": func(b []byte, u *directory.User) []byte { return jsonstr.Append(b, u.UserPrincipalName) },
	"mail":              func(b []byte, u *directory.User) []byte { return appendNullable(b, u.Mail) },
	"givenName":         func(b []byte, u *directory.User) []byte { return appendNullable(b, u.GivenName) },
	"surname":           func(b []byte, u *directory.User) []byte { return appendNullable(b, u.Surname) },
	"displayName":       func(b []byte, u *directory.User) []byte { return appendNullable(b, u.DisplayName) },
	"jobTitle":          func(b []byte, u *directory.User) []byte { return appendNullable(b, u.JobTitle) },
	"preferredLanguage": func(b []byte, u *directory.User) []byte { return appendNullable(b, u.PreferredLanguage) },
	"mobilePhone":       func(b []byte, u *directory.User) []byte { return appendNullable(b, u.MobilePhone) },
	"department":        func(b []byte, u *directory.User) []byte { return appendNullable(b, u.Department) },
	"userType":          func(b []byte, u *directory.User) []byte { return appendNullable(b, u.UserType) },
	"accountEnabled":    func(b []byte, u *directory.User) []byte { return appendBool(b, u.AccountEnabled) },
	"businessPhones": func(b []byte, u *directory.User) []byte {
		if u.BusinessPhone == "" {
			return append(b, "[]"...)
		}
		return append(jsonstr.Append(append(b, '['), u.BusinessPhone), ']')
	},
	"otherMails":            func(b []byte, _ *directory.User) []byte { return append(b, "[]"...) },
	"proxyAddresses":        func(b []byte, _ *directory.User) []byte { return append(b, "[]"...) },
	"officeLocation":        nullUser,
	"companyName":           nullUser,
	"employeeId":            nullUser,
	"usageLocation":         nullUser,
	"city":                  nullUser,
	"country":               nullUser,
	"state":                 nullUser,
	"streetAddress":         nullUser,
	"postalCode":            nullUser,
	"createdDateTime":       func(b []byte, _ *directory.User) []byte { return append(b, `"2024-01-15T09:30:00Z"`...) },
	"onPremisesImmutableId": nullUser,
	"onPremisesSyncEnabled": nullUser,
	"externalUserState":     nullUser,
}

// defaultUserSelect is what /users returns without $select: it omits accountEnabled, userType and
// department, which is why the reader must $select them.
var defaultUserSelect = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

var groupProps = map[string]groupProp{
	"id":              func(b []byte, g *directory.Group) []byte { return jsonstr.Append(b, g.ID) },
	"displayName":     func(b []byte, g *directory.Group) []byte { return appendNullable(b, g.DisplayName) },
	"securityEnabled": func(b []byte, g *directory.Group) []byte { return appendBool(b, g.SecurityEnabled) },
	"mailEnabled":     func(b []byte, g *directory.Group) []byte { return appendBool(b, g.MailEnabled) },
	"groupTypes": func(b []byte, g *directory.Group) []byte {
		b = append(b, '[')
		for i, t := range g.GroupTypes {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, t)
		}
		return append(b, ']')
	},
	"mail": func(b []byte, g *directory.Group) []byte {
		if !g.MailEnabled {
			return append(b, "null"...)
		}
		return jsonstr.Append(b, strings.ReplaceAll(strings.ToLower(g.DisplayName), " ", "-")+"@groups.example")
	},
	"description":           nullGroup,
	"mailNickname":          nullGroup,
	"visibility":            nullGroup,
	"createdDateTime":       func(b []byte, _ *directory.Group) []byte { return append(b, `"2024-01-15T09:30:00Z"`...) },
	"onPremisesSyncEnabled": nullGroup,
	"securityIdentifier":    nullGroup,
}

var defaultGroupSelect = []string{"id", "createdDateTime", "description", "displayName", "groupTypes", "mail",
	"mailEnabled", "mailNickname", "securityEnabled", "visibility"}

// parseSelect splits $select and checks each name against known; a navigation property ("members"
// on groups delta) is accepted only where allowNav says so.
func parseSelect(raw string, known func(string) bool, allowNav string) (props []string, nav bool, bad string) {
	if raw == "" {
		return nil, false, ""
	}
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			continue
		case allowNav != "" && p == allowNav:
			nav = true
		case known(p):
			props = append(props, p)
		default:
			return nil, false, p
		}
	}
	if len(props) == 0 || props[0] != "id" && !slices.Contains(props, "id") {
		props = append([]string{"id"}, props...) // Graph always returns the id
	}
	return props, nav, ""
}

func appendUser(b []byte, u *directory.User, props []string) []byte {
	return append(appendFields(append(b, '{'), u, props, userProps), '}')
}

func appendGroupFields(b []byte, g *directory.Group, props []string) []byte {
	return appendFields(b, g, props, groupProps)
}

// appendFields writes "name":value for each selected property of x, comma separated, with the
// property's writer.
func appendFields[T any, W ~func([]byte, *T) []byte](b []byte, x *T, props []string, writers map[string]W) []byte {
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, p)
		b = append(b, ':')
		b = writers[p](b, x)
	}
	return b
}

func odataType(m directory.Member) string {
	switch m.Kind {
	case directory.MemberUser:
		return "#microsoft.graph.user"
	case directory.MemberGroup:
		return "#microsoft.graph.group"
	}
	return m.ODataType
}
