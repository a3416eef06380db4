package atlassian_test

import (
	"context"
	"testing"

	"github.com/idpsync/idpsync/internal/atlassian"
	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// Names from Entra go into SCIM filters. Quotes, backslashes and control characters (tabs,
// newlines, NUL) must be escaped as a JSON string, as RFC 7644's compValue is: the lookup finds
// exactly the named object, never another one (filter injection) and never fails.
func TestFilterValuesAreEscaped(t *testing.T) {
	ctx := context.Background()
	s := emutest.Atlassian(t, emu.Options{Users: []emu.User{{UserName: "victim@x.example", DisplayName: "Victim", Active: true}}})
	c := newClient(t, fastCfg(s))
	names := []string{
		`evil" or userName eq "victim@x.example`,
		`back\slash\"quote`,
		"Ops\tTeam",
		"two\nlines",
		"nul\x00byte",
		"bell\x07 and \u2028 separator",
		`</script><img src=x onerror=alert(1)>`,
	}
	for _, n := range names {
		if u, ok, err := c.FindUserByUserName(ctx, n); err != nil || ok {
			t.Errorf("user %q: found %v (%s), err %v", n, ok, u.UserName, err)
		}
		g, err := c.CreateGroup(ctx, n, "ext-"+n)
		if err != nil {
			t.Errorf("create group %q: %v", n, err)
			continue
		}
		got, ok, err := c.FindGroupByDisplayName(ctx, n)
		if err != nil || !ok || got.ID != g.ID || got.ExternalID != "ext-"+n {
			t.Errorf("group %q: found %v (%q, externalId %q), err %v", n, ok, got.DisplayName, got.ExternalID, err)
		}
	}
	if f := atlassian.EqFilter("userName", "a\"b\\c\td"); f != `userName eq "a\"b\\c\td"` {
		t.Errorf("EqFilter = %s", f)
	}
}
