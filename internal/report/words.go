package report

import (
	"fmt"
	"io"
	"strings"
)

// CountRows are the plan's counts in words, in the order and with the labels of the app's
// confirmation dialog and overview (frontend/src/features/sync/Counts.tsx), so that a terminal
// and the screens say the same thing and add up the same way: each row sums every count of its
// action, whatever the object.
var CountRows = []struct {
	Action Action
	Label  string
}{
	{CreateUser, "Users created"},
	{UpdateUser, "Users updated"},
	{AdoptUser, "Existing accounts adopted"},
	{ReactivateUser, "Users reactivated"},
	{DeactivateUser, "Users deactivated"},
	{RestoreUser, "Users' access restored"},
	{SuspendUser, "Users' access suspended"},
	{CreateGroup, "Groups created"},
	{AdoptGroup, "Groups taken over"},
	{ConflictGroup, "Group conflicts held for a decision"},
	{AddMember, "Group memberships added"},
	{RemoveMember, "Group memberships removed"},
	{RetireGroup, "Groups no longer managed"},
	{DeleteGroup, "Groups deleted"},
}

// StatusWords says a run's status in words.
func StatusWords(s Status) string {
	switch s {
	case StatusPartial:
		return "partly failed"
	case StatusBlocked:
		return "blocked before writing"
	case StatusPlanned:
		return "planned (preview, nothing written)"
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

// WriteCountsWords prints one line per action that has operations: its label, its total and,
// when not all share one result, how many ended each way ("239, 3 failed").
func WriteCountsWords(w io.Writer, counts []Count) error {
	width := 0
	for _, r := range CountRows {
		width = max(width, len(r.Label))
	}
	known := map[Action]bool{}
	row := func(label string, a Action) error {
		total, by := 0, map[Result]int{}
		for _, c := range counts {
			if c.Action == a {
				total += c.N
				by[c.Result] += c.N
			}
		}
		if total == 0 {
			return nil
		}
		var parts []string
		for _, r := range []Result{ResultSucceeded, ResultPlanned, ResultFailed, ResultSkipped} {
			if n := by[r]; n > 0 && n != total {
				parts = append(parts, fmt.Sprintf("%d %s", n, r))
			}
		}
		line := fmt.Sprintf("  %-*s %7d", width, label, total)
		if len(parts) > 0 {
			line += " (" + strings.Join(parts, ", ") + ")"
		} else if by[ResultFailed] == total {
			line += " (all failed)"
		}
		_, err := fmt.Fprintln(w, line)
		return err
	}
	for _, r := range CountRows {
		known[r.Action] = true
		if err := row(r.Label, r.Action); err != nil {
			return err
		}
	}
	for _, c := range counts { // an action this build has no words for still counts
		if !known[c.Action] {
			known[c.Action] = true
			if err := row(termSafe(strings.ReplaceAll(string(c.Action), "_", " ")), c.Action); err != nil {
				return err
			}
		}
	}
	return nil
}

// The Sync settings screen's words for the domain and user modes a report's settings name.
var (
	domainModeWords = map[string]string{"specific": "only specific domains", "all": "all verified domains"}
	userModeWords   = map[string]string{"groups": "specific groups and their users", "all": "all users and groups"}
)

// modeWords says a mode in the screen's words, or one this version does not know (a file from
// another version, or edited) as unknown followed by the mode itself, made safe for a terminal.
func modeWords(mode string, words map[string]string, unknown string) string {
	if w, ok := words[mode]; ok {
		return w
	}
	return unknown + orDash(termSafe(mode))
}

// settingsWords says the run's settings as the Sync settings screen does.
func settingsWords(st Settings) string {
	parts := []string{
		modeWords(st.DomainMode, domainModeWords, "domains "),
		modeWords(st.UserMode, userModeWords, "users "),
	}
	if st.IncludeDisabled {
		parts = append(parts, "disabled users created inactive")
	}
	if st.IncludeExternal {
		parts = append(parts, "guests synced")
	} else {
		parts = append(parts, "guests not synced")
	}
	parts = append(parts, LeaveScopeWords(st.LeaveScope))
	parts = append(parts, fmt.Sprintf("deactivation limit %d users or %.4g %%", st.DeactivationMaxCount, st.DeactivationMaxPercent))
	if st.Incremental {
		parts = append(parts, "incremental read")
	} else {
		parts = append(parts, "full read")
	}
	return strings.Join(parts, "; ")
}

// LeaveScopeWords says the "When a user leaves scope" setting as the Sync settings screen does.
func LeaveScopeWords(mode string) string {
	switch mode {
	case "suspend":
		return "users who leave scope have their access suspended (restored when they return)"
	case "", "deactivate":
		return "users who leave scope are deactivated"
	}
	return "users who leave scope: " + orDash(termSafe(mode))
}
