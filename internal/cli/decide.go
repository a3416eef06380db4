package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/idpsync/idpsync/internal/backend"
)

func init() {
	Register(Command{
		Name:    "decide",
		Usage:   "idpsync decide --directory NAME --group GROUP --decision take_over|skip|retry|forget [endpoint overrides]",
		Summary: "decide a group conflict headlessly (the preview's take over / skip / retry), then print the new plan",
		Run:     runDecide,
	})
}

const decideHelp = `
Flags:
  --directory NAME   the identity-provider directory (as named in the app)
  --group GROUP      the conflicting group's name, as the plan prints it
  --decision D       take_over: overwrite the members of a SCIM group IdP Sync does not manage
                     skip:      leave the group alone and do not sync it
                     retry:     a group outside the SCIM directory was resolved in admin.atlassian.com: create it again
                     forget:    drop the decision; the conflict is held again
  --graph-url, --authority, --scim-url, --org-url   endpoint overrides, as for idpsync plan
`

func runDecide(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decide", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("directory", "", "")
	group := fs.String("group", "", "")
	decision := fs.String("decision", "", "")
	var ep backend.Endpoints
	fs.StringVar(&ep.GraphURL, "graph-url", "", "")
	fs.StringVar(&ep.Authority, "authority", "", "")
	fs.StringVar(&ep.SCIMURL, "scim-url", "", "")
	fs.StringVar(&ep.OrgURL, "org-url", "", "")
	fs.Usage = func() {
		c, _ := std.lookup("decide")
		fmt.Fprintf(stderr, "Usage: %s\n%s", c.Usage, decideHelp)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return ExitOK
		}
		return ExitUsage
	}
	d := *decision
	if d == "forget" {
		d = ""
	} else if d == "" {
		fmt.Fprintln(stderr, "idpsync: --decision is required")
		fs.Usage()
		return ExitUsage
	}
	if fs.NArg() > 0 || *dir == "" || *group == "" {
		fs.Usage()
		return ExitUsage
	}
	pr := &progressPrinter{w: stderr, tty: isTerminal(stderr)}
	b, err := backend.Open(ctx, backend.Options{Emitter: pr, Endpoints: ep})
	if err != nil {
		return Fail(stderr, err)
	}
	defer b.Close()
	dd, err := b.FindDirectory(ctx, *dir)
	if err != nil {
		return Fail(stderr, err)
	}
	plan, err := b.DecideByName(ctx, dd.ID, *group, d)
	pr.done()
	if err != nil {
		return Fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Decision recorded for %q: %s\n", *group, *decision)
	printPlan(stdout, plan)
	return ExitOK
}
