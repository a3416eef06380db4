package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	gosync "sync"
	"time"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/demomode"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/report"
)

func init() {
	Register(syncCommand("plan", "idpsync plan (--directory NAME | --demo) [--full] [endpoint overrides]",
		"preview a sync: print the plan summary and write its report (nothing is written to Atlassian)", false))
	Register(syncCommand("sync", "idpsync sync (--directory NAME --confirm-tenant ID --confirm-domains a.com,b.com | --demo) [--yes] [--override-threshold] [--override-removal-threshold] [--override-read-shrink] [--full] [endpoint overrides]",
		"sync a directory headlessly (for Task Scheduler, launchd, cron), only if the tenant and domains match the confirmation", true))
}

// syncCommand is plan (apply false) or sync: one set of flags, one run.
func syncCommand(name, usage, summary string, apply bool) Command {
	return Command{Name: name, Usage: usage, Summary: summary, Flags: syncFlags, Notes: syncNotes,
		Run: func(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
			return runSync(ctx, cfg, args, stdout, stderr, apply)
		}}
}

// syncNotes follow the flag list of `plan` and `sync` help; the flags describe themselves.
const syncNotes = `Exit status: 0 when the run succeeded, 1 when it failed, was blocked or partly failed, 2 on usage errors.
Tokens come from the keychain (sign in once in the app) or from IDPSYNC_GRAPH_TOKEN.
`

// syncArgs are the flags of `plan` and `sync`; their usage strings are the commands' help.
type syncArgs struct {
	dir, tenantID, domains, home                                string
	yes, override, overrideRemovals, overrideShrink, full, demo bool
	asJSON, scheduled                                           bool
	ep                                                          backend.Endpoints
}

func (a *syncArgs) register(fs *flag.FlagSet, cfg config.Config) {
	fs.StringVar(&a.dir, "directory", "", "the identity-provider directory `NAME` (as named in the app)")
	fs.StringVar(&a.tenantID, "confirm-tenant", "", "the Entra tenant `ID` the sync must read (sync only)")
	fs.StringVar(&a.domains, "confirm-domains", "", "the exact, comma-separated domain `LIST` the sync must use (sync only)")
	fs.BoolVar(&a.yes, "yes", false, "do not ask before applying; never skips the tenant and domain check")
	fs.BoolVar(&a.override, "override-threshold", false, "apply even when more users would be deactivated than the threshold allows")
	fs.BoolVar(&a.overrideRemovals, "override-removal-threshold", false,
		"apply even when more group memberships would be removed (deleted groups' members included) than the membership-removal threshold allows")
	fs.BoolVar(&a.overrideShrink, "override-read-shrink", false, "apply even when Entra returned far fewer users, groups or memberships than at the last sync")
	fs.BoolVar(&a.full, "full", false, "full reconcile against the live Atlassian state instead of a delta")
	fs.BoolVar(&a.demo, "demo", cfg.Demo, "run against the built-in emulators with a generated demo tenant")
	fs.StringVar(&a.ep.GraphURL, "graph-url", "", "Microsoft Graph base `URL` (national clouds, proxies, emulators)")
	fs.StringVar(&a.ep.Authority, "authority", "", "Microsoft identity platform root `URL` (the tenant is appended)")
	fs.StringVar(&a.ep.SCIMURL, "scim-url", "", "the directory's SCIM base `URL`")
	fs.StringVar(&a.ep.OrgURL, "org-url", "", "Atlassian's organization API root `URL`")
	fs.BoolVar(&a.scheduled, "scheduled", false,
		"this is the OS scheduler's run (idpsync schedule install): recorded as automatic, and a failed, partly failed or blocked run raises an alert")
	fs.StringVar(&a.home, "home", "", "IdP Sync's data folder `DIR` (as IDPSYNC_HOME), for scheduler entries")
	fs.BoolVar(&a.asJSON, "json", false, "print one JSON document on stdout instead of the summary (README: JSON shapes)")
}

func syncFlags(fs *flag.FlagSet) { new(syncArgs).register(fs, config.Config{}) }

func runSync(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer, apply bool) int {
	name := "plan"
	if apply {
		name = "sync"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sa syncArgs
	sa.register(fs, cfg)
	dir, tenantID, domains, home := &sa.dir, &sa.tenantID, &sa.domains, &sa.home
	yes, override, overrideRemovals, overrideShrink, full := &sa.yes, &sa.override, &sa.overrideRemovals, &sa.overrideShrink, &sa.full
	isDemo, asJSON, scheduled, ep := &sa.demo, &sa.asJSON, &sa.scheduled, &sa.ep
	fs.Usage = func() { fmt.Fprint(stderr, usageHelp(name)) }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return ExitUsage
	}
	if !*isDemo && *dir == "" {
		fmt.Fprintln(stderr, "idpsync: --directory is required (or --demo)")
		fs.Usage()
		return ExitUsage
	}
	if apply && !*isDemo && (*tenantID == "" || *domains == "") {
		fmt.Fprintln(stderr, "idpsync: sync needs --confirm-tenant and --confirm-domains: the headless form of the domain confirmation")
		fs.Usage()
		return ExitUsage
	}
	if *home != "" {
		cfg.Home = *home
	}
	tty := isTerminal(stderr)
	pr := &progressPrinter{w: stderr, tty: tty}

	var b *backend.Backend
	var dirID string
	if *isDemo {
		home, err := demomode.CLIHome(cfg.Home)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		fmt.Fprintln(stderr, "Starting the built-in emulators (identity, Graph, Atlassian) with a generated demo tenant…")
		s, err := demomode.Open(ctx, demomode.Options{Home: home, Emitter: pr, Start: startDemo})
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		defer s.Close()
		b = s.Backend
		d, err := s.Setup(ctx)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		fmt.Fprintf(stderr, "Signed in as %s to the emulated tenant %s.\n", d.Account, s.Env.Tenant.ID)
		dirID = d.ID
	} else {
		var err error
		b, err = openBackend(ctx, cfg, pr, *ep)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		defer b.Close()
		d, err := findDirectory(ctx, b, *dir)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		dirID = d.ID
	}

	start := time.Now()
	answers, interactive := promptInput(stderr)
	ask := apply && !*yes && interactive
	ct, cd := *tenantID, splitList(*domains)
	approved := "" // the digest of the plan the admin said yes to
	shown := ""    // the digest of the plan printed
	if !apply || ask || (*isDemo && ct == "") {
		// A preview first: the plan command itself, the question on a terminal, or the demo's
		// confirmation of what it read.
		_, plan, err := b.Headless(ctx, dirID, backend.HeadlessOptions{Full: *full})
		pr.done()
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if !apply {
			if *asJSON {
				if err := writeJSON(stdout, "plan", planDoc(plan)); err != nil {
					return Fail(stderr, err)
				}
			} else {
				printPlan(stdout, plan)
				fmt.Fprintf(stdout, "Report: %s\n", plan.ReportPath)
			}
			if len(plan.Blocked) > 0 {
				return ExitFailure
			}
			return ExitOK
		}
		if !*asJSON {
			printPlan(stdout, plan)
			shown = plan.Digest
		}
		if *isDemo && ct == "" {
			ct, cd = plan.TenantID, plan.Domains
			msgOut := stdout
			if *asJSON {
				msgOut = stderr // stdout carries only the JSON document
			}
			fmt.Fprintf(msgOut, "Demo: confirming tenant %s and domains %s.\n", ct, strings.Join(cd, ", "))
		}
		if ask {
			fmt.Fprintf(stderr, "Apply %d operations to Atlassian for tenant %s (%s), domains %s? [y/N] ", plan.Operations, plan.TenantName, plan.TenantID, strings.Join(plan.Domains, ", "))
			line, _ := bufio.NewReader(answers).ReadString('\n')
			if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
				fmt.Fprintln(stderr, "Nothing applied.")
				return ExitFailure
			}
			approved = plan.Digest
		}
	}
	// Headless reads and checks again under the directory's lock: the plan applied is the one
	// whose tenant and domains match the confirmation, and after a yes at the prompt exactly the
	// plan shown, even if the tenant changed meanwhile.
	run, plan, err := b.Headless(ctx, dirID, backend.HeadlessOptions{Apply: true, Full: *full, ConfirmTenant: ct, ConfirmDomains: cd,
		ConfirmPlanDigest: approved, Yes: *yes, OverrideThreshold: *override, Automatic: *scheduled,
		OverrideRemovalThreshold: *overrideRemovals, OverrideReadShrink: *overrideShrink})
	pr.done()
	if *asJSON {
		if werr := writeJSON(stdout, "sync", syncDoc(plan, run, err)); werr != nil {
			return Fail(stderr, werr)
		}
		if err != nil {
			return Fail(stderr, err)
		}
		if run.Status != string(report.StatusSucceeded) {
			return ExitFailure
		}
		return ExitOK
	}
	// The plan block once: again only when the plan applied is not the one shown.
	if !ask && plan.PlanID != "" && plan.Digest != shown {
		printPlan(stdout, plan)
	}
	if err != nil {
		if run.ReportPath != "" {
			fmt.Fprintf(stdout, "Report: %s\n", run.ReportPath)
		}
		return Fail(stderr, err)
	}
	printRun(stdout, run, time.Since(start))
	if run.Status != string(report.StatusSucceeded) {
		return ExitFailure
	}
	return ExitOK
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func printPlan(w io.Writer, p backend.PlanSummary) {
	kind := "incremental"
	if p.Full {
		kind = "full reconcile"
	}
	fmt.Fprintf(w, "Tenant:  %s (%s, %s)\n", p.TenantName, p.TenantID, p.InitialDomain)
	fmt.Fprintf(w, "Domains: %s\n", strings.Join(p.Domains, ", "))
	fmt.Fprintf(w, "Plan:    %d operations (%s), %d left out with a reason, digest %s\n", p.Operations, kind, p.Skips, p.Digest[:12])
	// The counts as the confirmation dialog words them; conflicts are listed below instead, one
	// line per conflict, as the dialog lists them.
	writeCounts(w, p.Counts, report.ConflictGroup)
	for _, c := range p.Conflicts {
		d := c.Decision
		switch {
		case d != "":
			d = decisionWords(d)
		case d == "" && c.CanTakeOver:
			d = "held: decide with `idpsync conflicts decide` or in the app (take over or skip)"
		case d == "":
			d = "held: decide with `idpsync conflicts decide` or in the app (skip, or retry after resolving it in admin.atlassian.com)"
		}
		where := "is not managed by IdP Sync"
		if c.Scope == "organization" {
			where = "exists in the organization outside the SCIM directory"
			if c.DefaultAccess {
				where += " and is a default access group"
			}
		}
		fmt.Fprintf(w, "Conflict: Atlassian group %q %s: %s\n", c.DisplayName, where, d)
		if c.Hint != "" {
			fmt.Fprintf(w, "  %s\n", c.Hint)
		}
	}
	for _, r := range p.Renames {
		fmt.Fprintf(w, "Rename: %q → %q: create the new group, copy its members, then retire the old one; the old group still grants access to %d people\n",
			r.OldName, r.NewName, r.StillGrants)
	}
	for _, n := range p.Notices {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	for _, e := range p.Blocked {
		fmt.Fprintf(w, "Blocked [%s]: %s\n", e.Code, e.Message)
	}
}

func printRun(w io.Writer, r backend.RunSummary, took time.Duration) {
	fmt.Fprintf(w, "Sync %s in %s.\n", report.StatusWords(report.Status(r.Status)), took.Round(time.Millisecond))
	writeCounts(w, r.Counts, "")
	fmt.Fprintf(w, "Report: %s\n", r.ReportPath)
}

// writeCounts prints counts in words (report.CountRows), leaving out the action skip.
func writeCounts(w io.Writer, rows []report.Count, skip report.Action) {
	cs := make([]report.Count, 0, len(rows))
	for _, c := range rows {
		if c.Action != skip {
			cs = append(cs, c)
		}
	}
	_ = report.WriteCountsWords(w, cs)
}

// promptInput is where the [y/N] answer is read from, and whether to ask at all: only when both
// stderr (the question) and stdin are a terminal. startDemo starts the demo's emulators. Tests
// replace both.
var (
	promptInput = func(stderr io.Writer) (io.Reader, bool) {
		return os.Stdin, isTerminal(stderr) && isTerminal(os.Stdin)
	}
	startDemo = demo.Start
)

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressPrinter draws a progress bar on a terminal and prints plain lines otherwise (one per
// phase and at most one every five seconds), so logs of scheduled runs stay readable.
type progressPrinter struct {
	w     io.Writer
	tty   bool
	mu    gosync.Mutex
	phase string
	last  time.Time
	drawn bool
}

func (p *progressPrinter) Emit(event string, data any) {
	pg, ok := data.(backend.Progress)
	if !ok || event != backend.EventProgress {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	newPhase := pg.Phase != p.phase
	if p.tty {
		if newPhase && p.drawn {
			fmt.Fprintln(p.w)
		}
		p.phase = pg.Phase
		fmt.Fprintf(p.w, "\r\033[K%s", barLine(pg))
		p.drawn = true
		return
	}
	finished := pg.Total > 0 && pg.Done == pg.Total
	if newPhase || time.Since(p.last) >= 5*time.Second || (finished && !p.drawn) {
		p.phase, p.last, p.drawn = pg.Phase, time.Now(), finished
		fmt.Fprintln(p.w, barLine(pg))
	}
}

func (p *progressPrinter) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
	p.drawn, p.phase = false, ""
}

func barLine(pg backend.Progress) string {
	label := strings.ReplaceAll(pg.Phase, "_", " ")
	if pg.Total <= 0 {
		if pg.Done > 0 {
			return fmt.Sprintf("%-15s %d objects", label, pg.Done)
		}
		return fmt.Sprintf("%-15s …", label)
	}
	const width = 30
	n := pg.Done * width / pg.Total
	eta := ""
	if pg.ETASeconds >= 0 && pg.Done < pg.Total {
		eta = fmt.Sprintf(" ETA %s", (time.Duration(pg.ETASeconds) * time.Second).String())
	}
	return fmt.Sprintf("%-15s [%s%s] %d/%d %.0f/s%s", label, strings.Repeat("#", n), strings.Repeat(".", width-n), pg.Done, pg.Total, pg.Rate, eta)
}
