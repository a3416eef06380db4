package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/engine"
)

func init() {
	Register(Command{
		Name:    "conflicts",
		Usage:   "idpsync conflicts list --directory NAME [--json] | decide --directory NAME --group NAME|ID (--take-over | --skip | --retry | --undecided)",
		Summary: "list Atlassian groups named like an Entra group but not managed by IdP Sync, and decide each (take over or skip)",
		Subs: []Sub{
			{Name: "list", Args: "--directory NAME [--json]", Text: `Preview the sync (nothing is written) and list each unmanaged Atlassian group named like a
synced Entra group, with who taking it over would add and remove, and the decision.`},
			{Name: "decide", Args: "--directory NAME --group NAME|ID (--take-over | --skip | --retry | --undecided) [--json]"},
		},
		Flags: func(fs *flag.FlagSet) { new(conflictsArgs).register(fs) },
		Notes: `
A conflict without a decision is held, as in the app: the sync leaves that Atlassian group
alone and does not sync the Entra group until it is decided.
`,
		Run: runConflicts,
	})
}

// conflictsArgs are the flags of list and decide.
type conflictsArgs struct {
	dir, group                               string
	takeOver, skip, undecided, retry, asJSON bool
}

func (a *conflictsArgs) register(fs *flag.FlagSet) {
	fs.StringVar(&a.dir, "directory", "", "the directory `NAME` (any case) or id")
	fs.StringVar(&a.group, "group", "", "decide: the group's display `NAME` (any case) or its Entra object id")
	fs.BoolVar(&a.takeOver, "take-over", false, "decide: IdP Sync manages the group from now on; its members are overwritten")
	fs.BoolVar(&a.skip, "skip", false, "decide: the group is left alone and the Entra group is not synced")
	fs.BoolVar(&a.retry, "retry", false, "decide: a group outside the SCIM directory (which IdP Sync cannot take over) was "+
		"resolved in admin.atlassian.com: create the Entra group again")
	fs.BoolVar(&a.undecided, "undecided", false, "decide: forget the decision (the sync waits for one again)")
	fs.BoolVar(&a.asJSON, "json", false, "print one JSON document on stdout instead of words")
}

func runConflicts(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	var a conflictsArgs
	p, code, ok := parseDirSub("conflicts", "conflicts needs list or decide", args, a.register, &a.dir, stdout, stderr)
	if !ok {
		return code
	}
	sub, conflictsHelp := p.sub, p.help
	dir, group, takeOver, skip, undecided, retry, asJSON := &a.dir, &a.group, &a.takeOver, &a.skip, &a.undecided, &a.retry, &a.asJSON
	decision := ""
	switch sub {
	case "list":
		if *group != "" || *takeOver || *skip || *undecided || *retry {
			return usageFail(stderr, conflictsHelp, "conflicts list takes only --directory and --json")
		}
	case "decide":
		n := 0
		for _, c := range []struct {
			on bool
			d  string
		}{{*takeOver, engine.DecisionTakeOver}, {*skip, engine.DecisionSkip}, {*retry, engine.DecisionRetry}, {*undecided, ""}} {
			if c.on {
				n++
				decision = c.d
			}
		}
		if *group == "" || n != 1 {
			return usageFail(stderr, conflictsHelp, "conflicts decide needs --group and exactly one of --take-over, --skip, --retry, --undecided")
		}
	}
	pr := &progressPrinter{w: stderr, tty: isTerminal(stderr)}
	b, d, code, ok := openDirectory(ctx, cfg, *dir, pr, stdout, stderr, *asJSON)
	if !ok {
		return code
	}
	defer b.Close()
	plan, err := b.Preview(ctx, d.ID, backend.PreviewOptions{Full: true})
	pr.done()
	if err != nil {
		return failDoc(stdout, stderr, *asJSON, err)
	}
	if sub == "decide" {
		c, ok := findConflict(plan.Conflicts, *group)
		if !ok && sameNamed(plan.Conflicts, *group) > 1 {
			return failDoc(stdout, stderr, *asJSON, apperr.New(apperr.InvalidInput, "%d conflicts are for groups named %q", sameNamed(plan.Conflicts, *group), *group).
				WithAction("Pass the group's Entra object id instead (idpsync conflicts list shows it)."))
		}
		if !ok {
			return failDoc(stdout, stderr, *asJSON, apperr.New(apperr.NotFound, "no conflict for a group %q in directory %q (%d conflicts)", *group, d.Name, len(plan.Conflicts)).
				WithAction("List them with: idpsync conflicts list --directory "+shellQuote(d.Name)))
		}
		if plan, err = b.DecideConflict(ctx, plan.PlanID, c.GroupEntraID, decision); err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		c, _ = findConflict(plan.Conflicts, c.GroupEntraID)
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "conflict", c))
		}
		fmt.Fprintf(stdout, "Group %q: %s.\n", c.DisplayName, decisionWords(c.Decision))
		return ExitOK
	}
	if *asJSON {
		return jsonExit(stdout, stderr, writeJSON(stdout, "conflicts", plan.Conflicts))
	}
	if len(plan.Conflicts) == 0 {
		fmt.Fprintln(stdout, "No conflict: every Atlassian group named like a synced Entra group is managed by IdP Sync.")
		return ExitOK
	}
	for _, c := range plan.Conflicts {
		fmt.Fprintf(stdout, "Group %q (Entra %s, Atlassian %s): %s\n", c.DisplayName, c.GroupEntraID, c.AtlassianID, decisionWords(c.Decision))
		if !c.CanTakeOver {
			fmt.Fprintf(stdout, "  outside the SCIM directory%s: %s\n", map[bool]string{true: ", a default access group"}[c.DefaultAccess], c.Hint)
			continue
		}
		fmt.Fprintf(stdout, "  taking it over adds %d members and removes %d\n", c.AddCount, c.RemoveCount)
		for _, u := range head(c.WouldAdd, 10) {
			fmt.Fprintf(stdout, "    + %s\n", u)
		}
		for _, u := range head(c.WouldRemove, 10) {
			fmt.Fprintf(stdout, "    - %s\n", u)
		}
	}
	return ExitOK
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func findConflict(cs []backend.Conflict, key string) (backend.Conflict, bool) {
	for _, c := range cs {
		if c.GroupEntraID == key {
			return c, true
		}
	}
	// By name only when exactly one group has it: two Entra groups may share a display name, and
	// then only the object id says which one the admin means.
	if sameNamed(cs, key) == 1 {
		for _, c := range cs {
			if strings.EqualFold(strings.TrimSpace(c.DisplayName), strings.TrimSpace(key)) {
				return c, true
			}
		}
	}
	return backend.Conflict{}, false
}

// sameNamed counts the conflicts whose group has the name key (any case, blanks trimmed).
func sameNamed(cs []backend.Conflict, key string) int {
	n := 0
	for _, c := range cs {
		if strings.EqualFold(strings.TrimSpace(c.DisplayName), strings.TrimSpace(key)) {
			n++
		}
	}
	return n
}

func decisionWords(d string) string {
	switch d {
	case engine.DecisionTakeOver:
		return "taken over (IdP Sync overwrites its members)"
	case engine.DecisionSkip:
		return "skipped (left alone, not synced)"
	case engine.DecisionRetry:
		return "to be created again (resolved in admin.atlassian.com)"
	}
	return "waiting for a decision (held: the sync leaves the group alone until then)"
}
