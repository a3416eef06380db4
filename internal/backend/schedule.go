package backend

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/schedule"
	"github.com/idpsync/idpsync/internal/store"
)

// ScheduleStatus is the OS scheduler entry of a directory: what `idpsync schedule` prints and
// what the sync settings' "Keep syncing when IdP Sync is closed" shows.
type ScheduleStatus struct {
	Directory   string        `json:"directory"`
	Kind        schedule.Kind `json:"kind"`
	Label       string        `json:"label"`
	Installed   bool          `json:"installed"`
	UpToDate    *bool         `json:"upToDate"` // the installed entry is what install would write now (null: status without --every)
	Files       []string      `json:"files"`
	CronLine    string        `json:"cronLine,omitempty"`
	Command     []string      `json:"command"`
	Every       string        `json:"every,omitempty"`
	LastRun     *RunSummary   `json:"lastScheduledRun"`
	Confirmed   *ConfirmedSet `json:"confirmed"`
	Activated   bool          `json:"activated"`
	ActivateCmd [][]string    `json:"activate,omitempty"`
}

type ConfirmedSet struct {
	TenantID string   `json:"tenantId"`
	Domains  []string `json:"domains"`
	At       string   `json:"at"`
}

// ExecCommand runs a scheduler tool (systemctl, launchctl, schtasks, crontab); tests replace it.
var ExecCommand = func(stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd.CombinedOutput()
}

// DefaultScheduler is this system's scheduler.
func DefaultScheduler() schedule.Kind { return schedule.Default(exec.LookPath) }

// scheduleState builds the directory's entry for every and kind and what is known about it;
// jobErr says why no entry can be built (no confirmed sync yet, a bad interval).
func (b *Backend) scheduleState(ctx context.Context, id string, every time.Duration, kind schedule.Kind) (st ScheduleStatus, entry schedule.Entry, jobErr error, err error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return st, entry, nil, err
	}
	conf, err := b.st.StandingConfirmation(ctx, id)
	if err != nil {
		return st, entry, nil, err
	}
	st = ScheduleStatus{Directory: d.Name, Kind: kind, Label: schedule.Label(kind, d.ID), Files: []string{}, Command: []string{}}
	if conf != nil {
		st.Confirmed = &ConfirmedSet{TenantID: conf.TenantID, Domains: conf.Domains, At: conf.At.UTC().Format(time.RFC3339)}
	}
	if runs, rerr := b.Runs(ctx, d.ID, 50); rerr == nil {
		for _, r := range runs {
			if r.Automatic && r.Kind == "apply" {
				r := r
				st.LastRun = &r
				break
			}
		}
	}
	job, jobErr := scheduleJob(b, d, conf, every, kind)
	if jobErr == nil {
		entry, jobErr = schedule.Build(kind, job)
	}
	if jobErr != nil {
		// No entry can be built now: status and remove still find what is installed.
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
	if job.Args != nil {
		st.Command = job.Args
	}
	if every > 0 {
		st.Every = every.String()
	}
	return st, entry, jobErr, nil
}

// ScheduleEntry returns the entry install would write, writing nothing (--print).
func (b *Backend) ScheduleEntry(ctx context.Context, id string, every time.Duration, kind schedule.Kind) (schedule.Entry, error) {
	_, e, jobErr, err := b.scheduleState(ctx, id, every, kind)
	if err == nil {
		err = jobErr
	}
	return e, err
}

// InstallSchedule writes the OS scheduler's entry running `idpsync sync --scheduled` every
// interval with the directory's last confirmed tenant and domains, and loads it unless
// activate is false.
func (b *Backend) InstallSchedule(ctx context.Context, id string, every time.Duration, kind schedule.Kind, activate bool) (ScheduleStatus, error) {
	if err := schedule.CheckInterval(kind, every); err != nil {
		return ScheduleStatus{}, err
	}
	st, entry, jobErr, err := b.scheduleState(ctx, id, every, kind)
	if err != nil {
		return st, err
	}
	if jobErr != nil {
		return st, jobErr
	}
	if err := installEntry(entry, id); err != nil {
		return st, err
	}
	st.Installed, st.UpToDate, st.CronLine = true, ptr(true), entry.CronLine
	if kind == schedule.Cron {
		st.Activated = true // crontab - is the loading
		return st, nil
	}
	if !activate {
		st.ActivateCmd = entry.Activate
		return st, nil
	}
	for _, c := range entry.Activate {
		if out, err := ExecCommand(nil, c[0], c[1:]...); err != nil {
			return st, apperr.Wrap(err, apperr.Internal, "the entry is written, but %s failed: %s", strings.Join(c, " "), strings.TrimSpace(string(out))).
				WithAction("Run it yourself, or remove the entry with idpsync schedule remove.")
		}
	}
	st.Activated = true
	return st, nil
}

// ScheduleStatus reports whether the directory's entry is installed and, with every > 0, whether
// it is what install would write now.
func (b *Backend) ScheduleStatus(ctx context.Context, id string, every time.Duration, kind schedule.Kind) (ScheduleStatus, error) {
	st, entry, _, err := b.scheduleState(ctx, id, every, kind)
	if err != nil {
		return st, err
	}
	var upToDate bool
	st.Installed, upToDate = entryInstalled(entry, id)
	if every > 0 && st.Installed {
		st.UpToDate = &upToDate
	}
	return st, nil
}

// RemoveSchedule unloads (unless deactivate is false) and deletes the directory's entry.
func (b *Backend) RemoveSchedule(ctx context.Context, id string, kind schedule.Kind, deactivate bool) (bool, error) {
	_, entry, _, err := b.scheduleState(ctx, id, 0, kind)
	if err != nil {
		return false, err
	}
	if deactivate {
		for _, c := range entry.Remove {
			_, _ = ExecCommand(nil, c[0], c[1:]...) // an entry that was never loaded fails to unload: fine
		}
	}
	return removeEntry(entry, id)
}

func ptr[T any](v T) *T { return &v }

// scheduleJob is the scheduled command: `idpsync sync` with the last confirmed tenant and domains.
func scheduleJob(b *Backend, d store.Directory, conf *store.Confirmation, every time.Duration, kind schedule.Kind) (schedule.Job, error) {
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

func entryPaths(b *Backend, kind schedule.Kind, id string) []string {
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
	out, err := ExecCommand(nil, "crontab", "-l")
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
		if out, err := ExecCommand([]byte(schedule.MergeCrontab(tab, id, e.CronLine)), "crontab", "-"); err != nil {
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
		if out, err := ExecCommand([]byte(schedule.RemoveFromCrontab(tab, id)), "crontab", "-"); err != nil {
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
