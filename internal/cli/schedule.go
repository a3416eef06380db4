package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/schedule"
)

func init() {
	Register(Command{
		Name:    "schedule",
		Usage:   "idpsync schedule install|status|remove --directory NAME [--every 4h] [--kind systemd|cron|launchd|taskscheduler]",
		Summary: "keep syncing when IdP Sync is closed: write the OS scheduler's entry that runs idpsync sync",
		Subs: []Sub{
			{Name: "install", Args: "--directory NAME --every 4h [--kind KIND] [--no-activate | --print] [--json]", Text: `Write the OS scheduler's own entry running, every interval:
  idpsync sync --directory ID --confirm-tenant T --confirm-domains D --yes --scheduled --home H
with the tenant and domains of the directory's last confirmed sync. When they change in
Entra the scheduled run stops before writing and raises an alert; sync once by hand (or
in the app) to confirm the new set, then install again.`},
			{Name: "status", Args: "--directory NAME [--kind KIND] [--json]"},
			{Name: "remove", Args: "--directory NAME [--kind KIND] [--no-activate]"},
		},
		Flags: func(fs *flag.FlagSet) { new(scheduleArgs).register(fs) },
		Run:   runSchedule,
	})
}

// scheduleArgs are the flags of install, status and remove.
type scheduleArgs struct {
	dir, kind                     string
	every                         time.Duration
	noActivate, printOnly, asJSON bool
}

func (a *scheduleArgs) register(fs *flag.FlagSet) {
	fs.StringVar(&a.dir, "directory", "", "the directory `NAME` (any case) or id")
	fs.DurationVar(&a.every, "every", 0, "install: the `INTERVAL`, 5m or more, whole minutes; cron needs minutes dividing an hour or hours dividing a day")
	fs.StringVar(&a.kind, "kind", "", "the `KIND`: systemd (Linux user timer), cron (where systemd is absent), launchd (macOS agent), "+
		"taskscheduler (Windows); default: this system's scheduler")
	fs.BoolVar(&a.noActivate, "no-activate", false, "install, remove: write or delete the files but do not load or unload them (systemctl, launchctl, schtasks)")
	fs.BoolVar(&a.printOnly, "print", false, "install: print the entry and write nothing")
	fs.BoolVar(&a.asJSON, "json", false, "install, status: print one JSON document on stdout instead of words")
}

// scheduleStatus is the --json document of install and status.
type scheduleStatus = backend.ScheduleStatus

func runSchedule(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	var fa scheduleArgs
	p, code, ok := parseDirSub("schedule", "schedule needs install, status or remove", args, fa.register, &fa.dir, stdout, stderr)
	if !ok {
		return code
	}
	sub, scheduleHelp := p.sub, p.help
	dir, every, kindFlag, noActivate, printOnly, asJSON := &fa.dir, &fa.every, &fa.kind, &fa.noActivate, &fa.printOnly, &fa.asJSON
	if sub == "install" && *every == 0 {
		return usageFail(stderr, scheduleHelp, "install needs --every, e.g. --every 4h")
	}
	kind := backend.DefaultScheduler()
	if *kindFlag != "" {
		k, err := schedule.ParseKind(*kindFlag)
		if err != nil {
			Fail(stderr, err)
			return ExitUsage
		}
		kind = k
	}
	if sub == "install" {
		if err := schedule.CheckInterval(kind, *every); err != nil {
			Fail(stderr, err)
			return ExitUsage
		}
	}
	b, d, code, ok := openDirectory(ctx, cfg, *dir, nil, stdout, stderr, *asJSON)
	if !ok {
		return code
	}
	defer b.Close()

	switch sub {
	case "install":
		if *printOnly {
			e, err := b.ScheduleEntry(ctx, d.ID, *every, kind)
			if err != nil {
				return Fail(stderr, err)
			}
			if kind == schedule.Cron {
				fmt.Fprintln(stdout, e.CronLine)
				return ExitOK
			}
			for p, body := range e.Files {
				fmt.Fprintf(stdout, "# %s\n%s\n", p, body)
			}
			return ExitOK
		}
		st, err := b.InstallSchedule(ctx, d.ID, *every, kind, !*noActivate)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "schedule", st))
		}
		fmt.Fprintf(stdout, "Scheduled %q every %s with %s (%s).\n", d.Name, *every, kind, st.Label)
		for _, p := range st.Files {
			fmt.Fprintf(stdout, "  wrote %s\n", p)
		}
		if st.CronLine != "" {
			fmt.Fprintf(stdout, "  crontab: %s\n", st.CronLine)
		}
		for _, c := range st.ActivateCmd {
			fmt.Fprintf(stdout, "  to load it: %s\n", strings.Join(c, " "))
		}
		return ExitOK

	case "status":
		st, err := b.ScheduleStatus(ctx, d.ID, *every, kind)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "schedule", st))
		}
		if !st.Installed {
			fmt.Fprintf(stdout, "No %s entry for %q.\n", kind, d.Name)
		} else {
			state := "installed (pass --every to compare it with what install would write)"
			if st.UpToDate != nil && *st.UpToDate {
				state = "up to date"
			} else if st.UpToDate != nil {
				state = "differs from the last confirmed tenant and domains or from --every: install again"
			}
			fmt.Fprintf(stdout, "%s entry %s for %q: %s.\n", kind, st.Label, d.Name, state)
			for _, p := range st.Files {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
		}
		if st.LastRun != nil {
			fmt.Fprintf(stdout, "Last scheduled sync: %s, %s", st.LastRun.Started, st.LastRun.Status)
			if st.LastRun.ErrorMessage != "" {
				fmt.Fprintf(stdout, ": %s", st.LastRun.ErrorMessage)
			}
			fmt.Fprintln(stdout)
		}
		return ExitOK
	}
	removed, err := b.RemoveSchedule(ctx, d.ID, kind, !*noActivate)
	if err != nil {
		return Fail(stderr, err)
	}
	if !removed {
		fmt.Fprintf(stdout, "No %s entry for %q was installed.\n", kind, d.Name)
		return ExitOK
	}
	fmt.Fprintf(stdout, "Removed the %s entry for %q.\n", kind, d.Name)
	return ExitOK
}
