package report

import (
	"strings"
	"testing"
)

// Suspensions and restores are counted and named in words like every other operation, and the
// settings line says what happens to a user who leaves scope (issue 18 point 11).
func TestSuspendInWords(t *testing.T) {
	var b strings.Builder
	err := WriteCountsWords(&b, []Count{
		{Object: "user", Action: SuspendUser, Result: ResultSucceeded, N: 3},
		{Object: "user", Action: SuspendUser, Result: ResultFailed, N: 1},
		{Object: "user", Action: RestoreUser, Result: ResultSucceeded, N: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Users' access suspended", "(3 succeeded, 1 failed)", "Users' access restored", "      2\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("counts lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "suspend_user") || strings.Contains(out, "restore_user") {
		t.Errorf("a bare code:\n%s", out)
	}
	for mode, want := range map[string]string{
		"":           "users who leave scope are deactivated",
		"deactivate": "users who leave scope are deactivated",
		"suspend":    "users who leave scope have their access suspended (restored when they return)",
	} {
		if got := settingsWords(Settings{LeaveScope: mode}); !strings.Contains(got, want) {
			t.Errorf("%q: %s", mode, got)
		}
	}
	// A report paged from its spool keeps the two actions (they have codes of their own).
	for _, a := range []Action{SuspendUser, RestoreUser} {
		if codeOf(actionCodes, a) == codeUnknown {
			t.Errorf("%s has no spool code", a)
		}
	}
}

// The settings line says the domain and user modes in the Sync settings screen's words, and a
// mode this version does not know (a file from another version) as itself, terminal-safe.
func TestSettingsWordsSayTheModes(t *testing.T) {
	for _, tc := range []struct {
		st   Settings
		want []string
	}{
		{Settings{DomainMode: "specific", UserMode: "groups"}, []string{"only specific domains; specific groups and their users;"}},
		{Settings{DomainMode: "all", UserMode: "all"}, []string{"all verified domains; all users and groups;"}},
		{Settings{DomainMode: "some\x1b[2J", UserMode: ""}, []string{"domains some", "; users " + orDash(""), "[2J"}},
	} {
		got := settingsWords(tc.st)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: %q lacks %q", tc.st, got, w)
			}
		}
		if strings.Contains(got, "\x1b") {
			t.Errorf("%+v: an escape reached the line: %q", tc.st, got)
		}
	}
}
