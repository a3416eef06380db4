// Package schedule writes the operating system scheduler's own entry for a headless sync: a
// Windows Task Scheduler task (its XML schema), a macOS launchd agent (a property list), a
// systemd user service and timer on Linux, or a crontab line where systemd is absent. It only
// builds and places entries; what runs is the `idpsync sync` command line it is given.
package schedule

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Kind names a scheduler.
type Kind string

const (
	Systemd       Kind = "systemd"
	Cron          Kind = "cron"
	Launchd       Kind = "launchd"
	TaskScheduler Kind = "taskscheduler"
)

// Kinds lists every scheduler, for --kind.
var Kinds = []Kind{Systemd, Cron, Launchd, TaskScheduler}

// MinInterval is the shortest schedule, as for the app's automatic syncs (sync settings refuse
// under 5 minutes): a sync of a large tenant lasts minutes, and a lock makes overlapping runs fail.
const MinInterval = 5 * time.Minute

// Job is one scheduled sync.
type Job struct {
	ID   string   // the directory id: names the entry, stable across renames
	Name string   // the directory name, for descriptions
	Args []string // the program and its arguments, Args[0] absolute; no environment is
	// carried (a Windows task cannot), so everything the run needs is an argument
	Every       time.Duration
	Home        string // the user's home folder (os.UserHomeDir)
	ConfigHome  string // XDG_CONFIG_HOME or ~/.config (systemd user units)
	LogPath     string // launchd's stdout and stderr file
	Start       time.Time
	CurrentUser string // Windows: DOMAIN\user for the task's principal ("" leaves it out)
}

// Entry is what install writes: files (path → content) or a crontab line.
type Entry struct {
	Kind     Kind
	Label    string            // unit, label or task name
	Files    map[string][]byte // absolute path → content
	CronLine string            // the crontab line (Cron only), ending with the marker comment
	Activate [][]string        // commands that load the entry into the scheduler
	Remove   [][]string        // commands that unload it, before the files are deleted
}

// Default returns the scheduler of this system: Task Scheduler on Windows, launchd on macOS,
// systemd where a systemd user manager can exist (systemctl present), cron otherwise.
func Default(lookPath func(string) (string, error)) Kind {
	switch runtime.GOOS {
	case "windows":
		return TaskScheduler
	case "darwin":
		return Launchd
	}
	if _, err := lookPath("systemctl"); err == nil {
		if _, err := os.Stat("/run/systemd/system"); err == nil {
			return Systemd
		}
	}
	return Cron
}

// ParseKind checks a --kind value.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Kinds, k) {
		return k, nil
	}
	return "", apperr.New(apperr.InvalidInput, "unknown scheduler %q (systemd, cron, launchd or taskscheduler)", s)
}

// CheckInterval refuses intervals the scheduler cannot hold exactly: under MinInterval, not a
// whole number of minutes, and for cron one that does not divide an hour or a day evenly
// (cron's */N restarts at each hour or midnight, so 7m or 5h would not be "every" N).
func CheckInterval(k Kind, d time.Duration) error {
	if d < MinInterval {
		return apperr.New(apperr.InvalidInput, "the interval %s is under %s", d, MinInterval).WithAction("Choose at least 5m, e.g. --every 4h.")
	}
	if d%time.Minute != 0 {
		return apperr.New(apperr.InvalidInput, "the interval %s is not a whole number of minutes", d)
	}
	if k == Cron {
		if _, err := cronSpec(d); err != nil {
			return err
		}
	}
	return nil
}

func cronSpec(d time.Duration) (string, error) {
	m := int(d / time.Minute)
	switch {
	case m < 60 && 60%m == 0:
		return fmt.Sprintf("*/%d * * * *", m), nil
	case m%60 == 0 && m/60 < 24 && 24%(m/60) == 0:
		if m == 60 {
			return "0 * * * *", nil
		}
		return fmt.Sprintf("0 */%d * * *", m/60), nil
	case m == 24*60:
		return "0 0 * * *", nil
	}
	return "", apperr.New(apperr.InvalidInput, "cron cannot run every %s exactly", d).
		WithAction("Choose minutes that divide an hour (5m, 10m, 15m, 20m, 30m) or hours that divide a day (1h, 2h, 3h, 4h, 6h, 8h, 12h, 24h).")
}

// Label is the entry's name for a directory id.
func Label(k Kind, id string) string {
	switch k {
	case Launchd:
		return "com.idpsync.sync." + id
	case TaskScheduler:
		return `\IdP Sync\sync-` + id
	}
	return "idpsync-sync-" + id
}

// Build returns the entry for j. It writes nothing.
func Build(k Kind, j Job) (Entry, error) {
	if err := CheckInterval(k, j.Every); err != nil {
		return Entry{}, err
	}
	if len(j.Args) == 0 || !filepath.IsAbs(j.Args[0]) {
		return Entry{}, apperr.New(apperr.Internal, "the scheduled program must be an absolute path")
	}
	e := Entry{Kind: k, Label: Label(k, j.ID), Files: map[string][]byte{}}
	switch k {
	case Systemd:
		dir := filepath.Join(j.ConfigHome, "systemd", "user")
		svc, timer := systemdUnits(j)
		e.Files[filepath.Join(dir, e.Label+".service")] = svc
		e.Files[filepath.Join(dir, e.Label+".timer")] = timer
		e.Activate = [][]string{{"systemctl", "--user", "daemon-reload"}, {"systemctl", "--user", "enable", "--now", e.Label + ".timer"}}
		e.Remove = [][]string{{"systemctl", "--user", "disable", "--now", e.Label + ".timer"}}
	case Cron:
		spec, _ := cronSpec(j.Every)
		e.CronLine = spec + " " + cronCommand(j) + " " + cronMarker(j.ID)
	case Launchd:
		p := filepath.Join(j.Home, "Library", "LaunchAgents", e.Label+".plist")
		e.Files[p] = launchdPlist(j, e.Label)
		uid := fmt.Sprintf("gui/%d", os.Getuid())
		e.Activate = [][]string{{"launchctl", "bootstrap", uid, p}}
		e.Remove = [][]string{{"launchctl", "bootout", uid + "/" + e.Label}}
	case TaskScheduler:
		x, err := taskXML(j)
		if err != nil {
			return Entry{}, err
		}
		p := filepath.Join(j.ConfigHome, "tasks", "sync-"+j.ID+".xml")
		e.Files[p] = x
		e.Activate = [][]string{{"schtasks", "/Create", "/TN", e.Label, "/XML", p, "/F"}}
		e.Remove = [][]string{{"schtasks", "/Delete", "/TN", e.Label, "/F"}}
	default:
		return Entry{}, apperr.New(apperr.InvalidInput, "unknown scheduler %q", k)
	}
	return e, nil
}

// ---- systemd

// systemdQuote quotes one word for ExecStart= and Environment= (systemd.syntax(7), "Quoting";
// systemd.service(5), "Command lines"): double quotes with backslash escapes, and the specifier
// and variable characters doubled, % as %% and $ as $$, so that nothing is expanded.
func systemdQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '%':
			b.WriteString("%%")
		case '$':
			b.WriteString("$$")
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func systemdUnits(j Job) (service, timer []byte) {
	var s bytes.Buffer
	fmt.Fprintf(&s, "[Unit]\nDescription=IdP Sync: sync directory %s\n", oneLine(j.Name))
	s.WriteString("Wants=network-online.target\nAfter=network-online.target\n\n[Service]\nType=oneshot\n")
	words := make([]string, len(j.Args))
	for i, a := range j.Args {
		words[i] = systemdQuote(a)
	}
	fmt.Fprintf(&s, "ExecStart=%s\n", strings.Join(words, " "))
	var t bytes.Buffer
	fmt.Fprintf(&t, "[Unit]\nDescription=IdP Sync: sync directory %s every %s\n\n[Timer]\n", oneLine(j.Name), j.Every)
	// OnBootSec starts the first run soon after login; OnUnitActiveSec repeats it. Persistent=
	// applies only to OnCalendar timers, so it is not set.
	fmt.Fprintf(&t, "OnBootSec=5min\nOnUnitActiveSec=%dmin\nAccuracySec=1min\n\n[Install]\nWantedBy=timers.target\n", int(j.Every/time.Minute))
	return s.Bytes(), t.Bytes()
}

func oneLine(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "%", "%%").Replace(s)
	return s
}

// ---- cron

// shQuote quotes one word for the POSIX shell cron runs the line with; % is special to cron
// itself (it ends the command), so it is escaped with a backslash, which cron removes.
func shQuote(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	return strings.ReplaceAll(q, "%", `\%`)
}

func cronCommand(j Job) string {
	var parts []string
	for _, a := range j.Args {
		parts = append(parts, shQuote(a))
	}
	return strings.Join(parts, " ")
}

func cronMarker(id string) string { return "# idpsync-sync-" + id }

// MergeCrontab returns tab with the entry's line in place of any earlier line for the same
// directory (found by its marker), and the other lines untouched.
func MergeCrontab(tab string, id, line string) string {
	out := RemoveFromCrontab(tab, id)
	if line == "" {
		return out
	}
	if out != "" && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out + line + "\n"
}

// RemoveFromCrontab drops the directory's line.
func RemoveFromCrontab(tab, id string) string {
	var keep []string
	for _, l := range strings.SplitAfter(tab, "\n") {
		if strings.HasSuffix(strings.TrimRight(l, "\r\n"), cronMarker(id)) {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "")
}

// CronLineOf finds the directory's line in tab.
func CronLineOf(tab, id string) (string, bool) {
	for _, l := range strings.Split(tab, "\n") {
		if strings.HasSuffix(strings.TrimRight(l, "\r"), cronMarker(id)) {
			return l, true
		}
	}
	return "", false
}

// ---- launchd

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// launchdPlist is an agent property list (launchd.plist(5)): ProgramArguments runs without a
// shell, StartInterval repeats the job, RunAtLoad runs it once when it is loaded (login).
func launchdPlist(j Job, label string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	fmt.Fprintf(&b, "\t<key>Label</key>\n\t<string>%s</string>\n", xmlText(label))
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range j.Args {
		fmt.Fprintf(&b, "\t\t<string>%s</string>\n", xmlText(a))
	}
	b.WriteString("\t</array>\n")
	fmt.Fprintf(&b, "\t<key>StartInterval</key>\n\t<integer>%d</integer>\n", int(j.Every/time.Second))
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	if j.LogPath != "" {
		fmt.Fprintf(&b, "\t<key>StandardOutPath</key>\n\t<string>%s</string>\n\t<key>StandardErrorPath</key>\n\t<string>%s</string>\n", xmlText(j.LogPath), xmlText(j.LogPath))
	}
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes()
}

// ---- Task Scheduler

// WindowsArgs joins arguments as CommandLineToArgvW splits them (the rules of the Microsoft C
// runtime, "Parsing C command-line arguments"): quotes around words with blanks or quotes,
// backslashes doubled only before a quote.
func WindowsArgs(args []string) string {
	var out []string
	for _, a := range args {
		if a != "" && !strings.ContainsAny(a, " \t\n\v\"") {
			out = append(out, a)
			continue
		}
		var b strings.Builder
		b.WriteByte('"')
		slashes := 0
		for _, r := range a {
			switch r {
			case '\\':
				slashes++
				continue
			case '"':
				b.WriteString(strings.Repeat(`\`, 2*slashes+1))
				b.WriteByte('"')
			default:
				b.WriteString(strings.Repeat(`\`, slashes))
				b.WriteRune(r)
			}
			slashes = 0
		}
		b.WriteString(strings.Repeat(`\`, 2*slashes))
		b.WriteByte('"')
		out = append(out, b.String())
	}
	return strings.Join(out, " ")
}

// taskXML is a task definition in the Task Scheduler schema (version 1.2, Windows 7 and later):
// a time trigger from Start repeating every Every indefinitely, one Exec action, run only when
// the user is logged on (so the keychain, the Credential Manager, is theirs), no overlapping
// instance, and a 12-hour limit. Task Scheduler reads UTF-16, so the file is UTF-16LE with a BOM.
func taskXML(j Job) ([]byte, error) {
	args := j.Args[1:]
	start := j.Start
	if start.IsZero() {
		start = time.Now()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
`)
	fmt.Fprintf(&b, "    <Description>%s</Description>\n", xmlText("IdP Sync: sync directory "+j.Name+" every "+j.Every.String()))
	fmt.Fprintf(&b, "    <URI>%s</URI>\n", xmlText(Label(TaskScheduler, j.ID)))
	b.WriteString("  </RegistrationInfo>\n  <Triggers>\n    <TimeTrigger>\n      <Repetition>\n")
	fmt.Fprintf(&b, "        <Interval>PT%dM</Interval>\n        <StopAtDurationEnd>false</StopAtDurationEnd>\n      </Repetition>\n", int(j.Every/time.Minute))
	fmt.Fprintf(&b, "      <StartBoundary>%s</StartBoundary>\n      <Enabled>true</Enabled>\n    </TimeTrigger>\n  </Triggers>\n", start.Format("2006-01-02T15:04:05"))
	b.WriteString("  <Principals>\n    <Principal id=\"Author\">\n")
	if j.CurrentUser != "" {
		fmt.Fprintf(&b, "      <UserId>%s</UserId>\n", xmlText(j.CurrentUser))
	}
	b.WriteString("      <LogonType>InteractiveToken</LogonType>\n      <RunLevel>LeastPrivilege</RunLevel>\n    </Principal>\n  </Principals>\n")
	b.WriteString(`  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>
    <ExecutionTimeLimit>PT12H</ExecutionTimeLimit>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
`)
	fmt.Fprintf(&b, "      <Command>%s</Command>\n      <Arguments>%s</Arguments>\n", xmlText(j.Args[0]), xmlText(WindowsArgs(args)))
	b.WriteString("    </Exec>\n  </Actions>\n</Task>\n")
	u := utf16.Encode([]rune(strings.ReplaceAll(b.String(), "\n", "\r\n")))
	out := make([]byte, 2+2*len(u))
	out[0], out[1] = 0xFF, 0xFE
	for i, c := range u {
		out[2+2*i], out[3+2*i] = byte(c), byte(c>>8)
	}
	return out, nil
}
