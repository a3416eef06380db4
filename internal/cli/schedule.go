package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/schedule"
	"github.com/idpsync/idpsync/internal/store"
)

func init() {
	Register(Command{
		Name:    "schedule",
		Usage:   "idpsync schedule install|status|remove --directory NAME [--every 4h] [--kind systemd|cron|launchd|taskscheduler]",
		Summary: "keep syncing when IdP Sync is closed: write the OS scheduler's entry that runs idpsync sync",
		Run:     runSchedule,
	})
}

const scheduleHelp = `Usage:
  idpsync schedule install --directory NAME --every 4h [--kind KIND] [--no-activate | --print] [--json]
      Write the OS scheduler's own entry running, every interval:
        idpsync sync --directory ID --confirm-tenant T --confirm-domains D --yes --scheduled --home H
      with the tenant and domains of the directory's last confirmed sync. When they change in
      Entra the scheduled run stops before writing and raises an alert; sync once by hand (or
      in the app) to confirm the new set, then install again.
      --kind     systemd (Linux user timer), cron (where systemd is absent), launchd (macOS
                 agent), taskscheduler (Windows); default: this system's scheduler
      --every    5m or more, whole minutes; cron needs minutes dividing an hour or hours dividing a day
      --no-activate  write the files but do not load them (systemctl, launchctl, schtasks)
      --print    print the entry and write nothing
  idpsync schedule status --directory NAME [--kind KIND] [--json]
  idpsync schedule remove --directory NAME [--kind KIND] [--no-activate]
`

// scheduleStatus is the --json document of install and status.
type scheduleStatus struct {
	Directory   string              `json:"directory"`
	Kind        schedule.Kind       `json:"kind"`
	Label       string              `json:"label"`
	Installed   bool                `json:"installed"`
	UpToDate    *bool               `json:"upToDate"` // the installed entry is what install would write now (null: status without --every)
	Files       []string            `json:"files"`
	CronLine    string              `json:"cronLine,omitempty"`
	Command     []string            `json:"command"`
	Every       string              `json:"every,omitempty"`
	LastRun     *backend.RunSummary `json:"lastScheduledRun"`
	Confirmed   *confirmedSet       `json:"confirmed"`
	Activated   bool                `json:"activated"`
	ActivateCmd [][]string          `json:"activate,omitempty"`
}

type confirmedSet struct {
	TenantID string   `json:"tenantId"`
	Domains  []string `json:"domains"`
	At       string   `json:"at"`
}

// execCommand runs a scheduler tool (systemctl, launchctl, schtasks, crontab); tests replace it.
var execCommand = func(stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd.CombinedOutput()
}

func runSchedule(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub, rest, code, done := subcommand(args, scheduleHelp, "schedule needs install, status or remove", stdout, stderr)
	if done {
		return code
	}
	fs := newFlags("schedule " + sub)
	dir := fs.String("directory", "", "")
	every := fs.Duration("every", 0, "")
	kindFlag := fs.String("kind", "", "")
	noActivate := fs.Bool("no-activate", false, "")
	printOnly := fs.Bool("print", false, "")
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(rest); err != nil {
		return usageFail(stderr, scheduleHelp, "%s", usageMsg(err, "bad arguments"))
	}
	if *dir == "" || fs.NArg() > 0 {
		return usageFail(stderr, scheduleHelp, "schedule %s needs --directory NAME", sub)
	}
	if sub != "install" && sub != "status" && sub != "remove" {
		return usageFail(stderr, scheduleHelp, "unknown schedule command %q", sub)
	}
	if sub == "install" && *every == 0 {
		return usageFail(stderr, scheduleHelp, "install needs --every, e.g. --every 4h")
	}
	kind := schedule.Default(exec.LookPath)
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
	b, d, err := withDirectory(ctx, *dir, nil, backend.Endpoints{})
	if err != nil {
		return failDoc(stdout, stderr, *asJSON, err)
	}
	defer b.Close()
	conf, err := b.Store().StandingConfirmation(ctx, d.ID)
	if err != nil {
		return failDoc(stdout, stderr, *asJSON, err)
	}
	st := scheduleStatus{Directory: d.Name, Kind: kind, Label: schedule.Label(kind, d.ID), Files: []string{}, Command: []string{}}
	if conf != nil {
		st.Confirmed = &confirmedSet{TenantID: conf.TenantID, Domains: conf.Domains, At: conf.At.UTC().Format(time.RFC3339)}
	}
	if runs, err := b.Runs(ctx, d.ID, 50); err == nil {
		for _, r := range runs {
			if r.Automatic && r.Kind == "apply" {
				r := r
				st.LastRun = &r
				break
			}
		}
	}
	job, err := scheduleJob(b, d, conf, *every, kind)
	if err != nil && sub == "install" {
		return failDoc(stdout, stderr, *asJSON, err)
	}
	var entry schedule.Entry
	if err == nil {
		if entry, err = schedule.Build(kind, job); err != nil && sub == "install" {
			return failDoc(stdout, stderr, *asJSON, err)
		}
	}
	if entry.Label == "" {
		// No confirmed sync or no interval: status and remove still find what is installed.
		entry = schedule.Entry{Kind: kind, Label: st.Label, Files: map[string][]byte{}}
		for _, p := range entryPaths(b, kind, d.ID) {
			entry.Files[p] = nil
		}
		entry.Remove, _ = removeCommands(kind, d.ID)
	}
	for p := range entry.Files {
		st.Files = append(st.Files, p)
	}
	slices.Sort(st.Files)
	st.Command = job.Args
	if st.Command == nil {
		st.Command = []string{}
	}
	if *every > 0 {
		st.Every = every.String()
	}

	switch sub {
	case "install":
		if *printOnly {
			if kind == schedule.Cron {
				fmt.Fprintln(stdout, entry.CronLine)
				return ExitOK
			}
			for _, p := range st.Files {
				fmt.Fprintf(stdout, "# %s\n%s\n", p, entry.Files[p])
			}
			return ExitOK
		}
		if err := installEntry(entry, d.ID); err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		st.Installed, st.UpToDate, st.CronLine = true, ptr(true), entry.CronLine
		if kind != schedule.Cron {
			if *noActivate {
				st.ActivateCmd = entry.Activate
			} else {
				for _, c := range entry.Activate {
					if out, err := execCommand(nil, c[0], c[1:]...); err != nil {
						return failDoc(stdout, stderr, *asJSON, apperr.Wrap(err, apperr.Internal, "the entry is written, but %s failed: %s", strings.Join(c, " "), strings.TrimSpace(string(out))).
							WithAction("Run it yourself, or remove the entry with idpsync schedule remove."))
					}
				}
				st.Activated = true
			}
		} else {
			st.Activated = true
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
		var upToDate bool
		st.Installed, upToDate = entryInstalled(entry, d.ID)
		if *every > 0 && st.Installed {
			st.UpToDate = &upToDate
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

	case "remove":
		if !*noActivate {
			for _, c := range entry.Remove {
				_, _ = execCommand(nil, c[0], c[1:]...) // an entry that was never loaded fails to unload: fine
			}
		}
		removed, err := removeEntry(entry, d.ID)
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
	return ExitUsage
}

// scheduleJob is the scheduled command: `idpsync sync` with the last confirmed tenant and domains.
func scheduleJob(b *backend.Backend, d backend.Directory, conf *store.Confirmation, every time.Duration, kind schedule.Kind) (schedule.Job, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return schedule.Job{}, apperr.Wrap(err, apperr.Internal, "cannot find the idpsync program")
	}
	home, _ := os.UserHomeDir()
	cfg, _ := os.UserConfigDir()
	if kind == schedule.TaskScheduler {
		cfg = b.Home() // the task's XML is kept beside the data, for schtasks /Create /XML
	}
	j := schedule.Job{ID: d.ID, Name: d.Name, Every: every, Home: home, ConfigHome: cfg,
		LogPath: filepath.Join(b.Home(), "logs", "sync-"+d.ID+".log")}
	if conf == nil {
		return j, apperr.New(apperr.ConfirmationRequired, "directory %q has no confirmed sync yet, so there is no tenant and domain set to schedule", d.Name).
			WithAction("Sync once with --confirm-tenant and --confirm-domains (or in the app), then install the schedule.")
	}
	j.Args = []string{exe, "sync", "--directory", d.ID, "--confirm-tenant", conf.TenantID, "--confirm-domains", strings.Join(conf.Domains, ","),
		"--yes", "--scheduled", "--home", b.Home()}
	return j, nil
}

func entryPaths(b *backend.Backend, kind schedule.Kind, id string) []string {
	j := schedule.Job{ID: id, Args: []string{"/x"}, Every: time.Hour}
	j.Home, _ = os.UserHomeDir()
	j.ConfigHome, _ = os.UserConfigDir()
	if kind == schedule.TaskScheduler {
		j.ConfigHome = b.Home()
	}
	e, _ := schedule.Build(kind, j)
	var out []string
	for p := range e.Files {
		out = append(out, p)
	}
	return out
}

func removeCommands(kind schedule.Kind, id string) ([][]string, error) {
	e, err := schedule.Build(kind, schedule.Job{ID: id, Args: []string{"/x"}, Every: time.Hour})
	return e.Remove, err
}

func readCrontab() (string, error) {
	out, err := execCommand(nil, "crontab", "-l")
	if err != nil {
		if strings.Contains(strings.ToLower(string(out)), "no crontab") {
			return "", nil
		}
		return "", apperr.Wrap(err, apperr.Internal, "crontab -l failed: %s", strings.TrimSpace(string(out))).WithAction("Is cron installed? Use --kind systemd where systemd runs.")
	}
	return string(out), nil
}

func installEntry(e schedule.Entry, id string) error {
	if e.Kind == schedule.Cron {
		tab, err := readCrontab()
		if err != nil {
			return err
		}
		if out, err := execCommand([]byte(schedule.MergeCrontab(tab, id, e.CronLine)), "crontab", "-"); err != nil {
			return apperr.Wrap(err, apperr.Internal, "crontab - failed: %s", strings.TrimSpace(string(out)))
		}
		return nil
	}
	for p, body := range e.Files {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return apperr.Wrap(err, apperr.Internal, "cannot create %s", filepath.Dir(p))
		}
		if err := os.WriteFile(p, body, 0o600); err != nil {
			return apperr.Wrap(err, apperr.Internal, "cannot write %s", p)
		}
	}
	return nil
}

func entryInstalled(e schedule.Entry, id string) (installed, upToDate bool) {
	if e.Kind == schedule.Cron {
		tab, err := readCrontab()
		if err != nil {
			return false, false
		}
		line, ok := schedule.CronLineOf(tab, id)
		return ok, ok && line == e.CronLine
	}
	installed, upToDate = len(e.Files) > 0, true
	for p, want := range e.Files {
		got, err := os.ReadFile(p)
		if err != nil {
			return false, false
		}
		upToDate = upToDate && want != nil && bytes.Equal(got, want)
	}
	return installed, upToDate
}

func removeEntry(e schedule.Entry, id string) (bool, error) {
	if e.Kind == schedule.Cron {
		tab, err := readCrontab()
		if err != nil {
			return false, err
		}
		if _, ok := schedule.CronLineOf(tab, id); !ok {
			return false, nil
		}
		if out, err := execCommand([]byte(schedule.RemoveFromCrontab(tab, id)), "crontab", "-"); err != nil {
			return false, apperr.Wrap(err, apperr.Internal, "crontab - failed: %s", strings.TrimSpace(string(out)))
		}
		return true, nil
	}
	removed := false
	for p := range e.Files {
		err := os.Remove(p)
		if err == nil {
			removed = true
		} else if !os.IsNotExist(err) {
			return removed, apperr.Wrap(err, apperr.Internal, "cannot remove %s", p)
		}
	}
	return removed, nil
}

func ptr[T any](v T) *T { return &v }
