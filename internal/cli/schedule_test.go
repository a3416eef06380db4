package cli

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
)

// ---- each format read back by its own rules, independently of internal/schedule

// systemdWords splits an ExecStart= value as systemd.service(5) does: words, double quotes with
// C escapes, %% and $$ as single characters.
func systemdWords(t *testing.T, v string) []string {
	t.Helper()
	var w words
	in := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case in && c == '\\' && i+1 < len(v):
			i++
			switch v[i] {
			case 'n':
				w.add("\n")
			case 't':
				w.add("\t")
			default:
				w.add(v[i : i+1])
			}
		case c == '"':
			in = !in
			w.add("")
		case (c == '%' || c == '$') && i+1 < len(v) && v[i+1] == c:
			w.add(v[i : i+1])
			i++
		case c == '%' || c == '$':
			t.Fatalf("unescaped %c in ExecStart %q: systemd would expand it", c, v)
		case !in && c == ' ':
			w.end()
		default:
			w.add(v[i : i+1])
		}
	}
	if in {
		t.Fatalf("unbalanced quotes in %q", v)
	}
	return w.done()
}

// words collects the words of a command line for the splitters below: a word exists once
// anything (even "", for a pair of quotes) was added to it, and ends at the next unquoted blank.
type words struct {
	out  []string
	cur  strings.Builder
	open bool
}

func (w *words) add(s string) { w.cur.WriteString(s); w.open = true }

func (w *words) end() {
	if w.open {
		w.out = append(w.out, w.cur.String())
		w.cur.Reset()
		w.open = false
	}
}

func (w *words) done() []string { w.end(); return w.out }

// plistValue is a checked property-list value (the elements of Apple's PropertyList-1.0 DTD).
type plistValue struct {
	kind  string // dict, array, string, integer, true, false
	text  string
	items []plistValue
	keys  []string
}

// parsePlist reads a property list and refuses anything its DTD does not allow: the root
// <plist version="1.0"> with one value; in a dict, key and value alternating; integers in
// decimal. It is the schema check that plutil -lint does on a Mac.
func parsePlist(t *testing.T, b []byte) plistValue {
	t.Helper()
	if !bytes.Contains(b, []byte(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`)) {
		t.Fatalf("no plist DOCTYPE:\n%s", b)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var next func(start xml.StartElement) plistValue
	tok := func() xml.Token {
		for {
			tk, err := d.Token()
			if err != nil {
				t.Fatalf("plist: %v", err)
			}
			switch x := tk.(type) {
			case xml.CharData:
				if strings.TrimSpace(string(x)) != "" {
					t.Fatalf("plist: stray text %q", x)
				}
				continue
			case xml.Comment, xml.ProcInst, xml.Directive:
				continue
			}
			return tk
		}
	}
	text := func(name string) string {
		var s strings.Builder
		for {
			tk, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch x := tk.(type) {
			case xml.CharData:
				s.Write(x)
			case xml.EndElement:
				if x.Name.Local != name {
					t.Fatalf("plist: </%s> in <%s>", x.Name.Local, name)
				}
				return s.String()
			default:
				t.Fatalf("plist: element inside <%s>", name)
			}
		}
	}
	next = func(start xml.StartElement) plistValue {
		v := plistValue{kind: start.Name.Local}
		switch v.kind {
		case "string", "key":
			v.text = text(v.kind)
		case "integer":
			v.text = text("integer")
			if _, err := strconv.ParseInt(v.text, 10, 64); err != nil {
				t.Fatalf("plist: integer %q", v.text)
			}
		case "true", "false":
			if e, ok := tok().(xml.EndElement); !ok || e.Name.Local != v.kind {
				t.Fatalf("plist: <%s/> not empty", v.kind)
			}
		case "array", "dict":
			for {
				switch x := tok().(type) {
				case xml.EndElement:
					if v.kind == "dict" && len(v.keys) != len(v.items) {
						t.Fatalf("plist: key without value")
					}
					return v
				case xml.StartElement:
					if v.kind == "dict" && len(v.keys) == len(v.items) {
						if x.Name.Local != "key" {
							t.Fatalf("plist: <%s> where a <key> belongs", x.Name.Local)
						}
						v.keys = append(v.keys, text("key"))
						continue
					}
					v.items = append(v.items, next(x))
				}
			}
		default:
			t.Fatalf("plist: <%s> is not a plist element", v.kind)
		}
		return v
	}
	root, ok := tok().(xml.StartElement)
	if !ok || root.Name.Local != "plist" || len(root.Attr) != 1 || root.Attr[0].Name.Local != "version" || root.Attr[0].Value != "1.0" {
		t.Fatalf("plist root %+v", root)
	}
	top := next(tok().(xml.StartElement))
	if e, ok := tok().(xml.EndElement); !ok || e.Name.Local != "plist" {
		t.Fatalf("plist: more than one value")
	}
	return top
}

func (v plistValue) get(key string) (plistValue, bool) {
	for i, k := range v.keys {
		if k == key {
			return v.items[i], true
		}
	}
	return plistValue{}, false
}

// task is the part of the Task Scheduler schema (task.xsd, version 1.2) the entry uses; the
// decoder below also refuses any element outside taskElements, so a typo cannot pass.
type task struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/windows/2004/02/mit/task Task"`
	Version  string   `xml:"version,attr"`
	Triggers struct {
		TimeTrigger []struct {
			StartBoundary string `xml:"StartBoundary"`
			Enabled       string `xml:"Enabled"`
			Repetition    struct {
				Interval          string `xml:"Interval"`
				StopAtDurationEnd string `xml:"StopAtDurationEnd"`
			} `xml:"Repetition"`
		} `xml:"TimeTrigger"`
	} `xml:"Triggers"`
	Principals struct {
		Principal []struct {
			ID        string `xml:"id,attr"`
			LogonType string `xml:"LogonType"`
			RunLevel  string `xml:"RunLevel"`
		} `xml:"Principal"`
	} `xml:"Principals"`
	Settings struct {
		MultipleInstancesPolicy string `xml:"MultipleInstancesPolicy"`
		ExecutionTimeLimit      string `xml:"ExecutionTimeLimit"`
	} `xml:"Settings"`
	Actions struct {
		Context string `xml:"Context,attr"`
		Exec    []struct {
			Command   string `xml:"Command"`
			Arguments string `xml:"Arguments"`
		} `xml:"Exec"`
	} `xml:"Actions"`
}

// taskElements: each element of task.xsd the entry may hold, with its parent.
var taskElements = map[string]string{
	"Task": "", "RegistrationInfo": "Task", "Description": "RegistrationInfo", "URI": "RegistrationInfo",
	"Triggers": "Task", "TimeTrigger": "Triggers", "Repetition": "TimeTrigger", "Interval": "Repetition", "StopAtDurationEnd": "Repetition",
	"StartBoundary": "TimeTrigger", "Enabled": "TimeTrigger|Settings", "Principals": "Task", "Principal": "Principals", "UserId": "Principal",
	"LogonType": "Principal", "RunLevel": "Principal", "Settings": "Task", "MultipleInstancesPolicy": "Settings",
	"DisallowStartIfOnBatteries": "Settings", "StopIfGoingOnBatteries": "Settings", "StartWhenAvailable": "Settings",
	"RunOnlyIfNetworkAvailable": "Settings", "ExecutionTimeLimit": "Settings", "Actions": "Task", "Exec": "Actions",
	"Command": "Exec", "Arguments": "Exec",
}

var (
	xsDuration = regexp.MustCompile(`^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$`)
	xsDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)
)

func parseTask(t *testing.T, b []byte) task {
	t.Helper()
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xFE || len(b)%2 != 0 {
		t.Fatalf("task XML is not UTF-16LE with a BOM")
	}
	u := make([]uint16, (len(b)-2)/2)
	for i := range u {
		u[i] = uint16(b[2+2*i]) | uint16(b[3+2*i])<<8
	}
	s := string(utf16.Decode(u))
	if !strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-16"?>`) {
		t.Fatalf("task XML declaration: %.60q", s)
	}
	s = strings.Replace(s, `encoding="UTF-16"`, `encoding="UTF-8"`, 1) // the bytes are decoded already
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var stack []string
	for {
		tk, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("task XML: %v", err)
		}
		switch x := tk.(type) {
		case xml.StartElement:
			if x.Name.Space != "http://schemas.microsoft.com/windows/2004/02/mit/task" {
				t.Fatalf("element %s outside the task namespace", x.Name.Local)
			}
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			allowed, ok := taskElements[x.Name.Local]
			if !ok || !strings.Contains("|"+allowed+"|", "|"+parent+"|") {
				t.Fatalf("<%s> is not allowed in <%s> by the task schema", x.Name.Local, parent)
			}
			stack = append(stack, x.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	var tk task
	if err := xml.Unmarshal([]byte(s), &tk); err != nil {
		t.Fatal(err)
	}
	if tk.Version != "1.2" || len(tk.Triggers.TimeTrigger) != 1 || len(tk.Actions.Exec) != 1 || len(tk.Principals.Principal) != 1 {
		t.Fatalf("task %+v", tk)
	}
	tt := tk.Triggers.TimeTrigger[0]
	if !xsDateTime.MatchString(tt.StartBoundary) || !xsDuration.MatchString(tt.Repetition.Interval) || !xsDuration.MatchString(tk.Settings.ExecutionTimeLimit) {
		t.Fatalf("task times %+v %q", tt, tk.Settings.ExecutionTimeLimit)
	}
	for _, v := range []struct{ v, set string }{{tk.Principals.Principal[0].LogonType, "S4U Password InteractiveToken"}, {tk.Settings.MultipleInstancesPolicy, "Parallel Queue IgnoreNew StopExisting"}, {tk.Principals.Principal[0].RunLevel, "LeastPrivilege HighestAvailable"}} {
		if !strings.Contains(" "+v.set+" ", " "+v.v+" ") {
			t.Fatalf("%q is not one of the schema's values %s", v.v, v.set)
		}
	}
	return tk
}

// argvW splits a command line as CommandLineToArgvW does (2n backslashes + quote → n and a
// quote toggle; 2n+1 → n and a literal quote; other backslashes literal).
func argvW(s string) []string {
	var w words
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(s) && s[i] == '\\' {
				n++
				i++
			}
			if i < len(s) && s[i] == '"' {
				w.add(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					w.add(`"`)
				} else {
					in = !in
				}
			} else {
				w.add(strings.Repeat(`\`, n))
				i--
			}
		case c == '"':
			in = !in
			w.add("")
		case !in && (c == ' ' || c == '\t'):
			w.end()
		default:
			w.add(s[i : i+1])
		}
	}
	return w.done()
}

var cronField = regexp.MustCompile(`^(\*|\*/\d+|\d+)$`)

// cronCommand checks a crontab(5) line and returns the command as cron hands it to sh: the
// five time fields, then the command up to an unescaped %, with \% turned into %.
func cronCommand(t *testing.T, line string) string {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 6 {
		t.Fatalf("cron line %q", line)
	}
	for _, x := range f[:5] {
		if !cronField.MatchString(x) {
			t.Fatalf("cron field %q in %q", x, line)
		}
	}
	cmd := strings.SplitN(line, " ", 6)[5]
	var b strings.Builder
	for i := 0; i < len(cmd); i++ {
		if cmd[i] == '\\' && i+1 < len(cmd) && cmd[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if cmd[i] == '%' {
			t.Fatalf("unescaped %% in the cron command: cron would cut it there")
		}
		b.WriteByte(cmd[i])
	}
	return b.String()
}

// schedulerEnv is what a scheduler gives the job: a minimal environment of the user's session
// (HOME, PATH, the D-Bus session with the keychain), plus the CA the emulators need, and no
// IDPSYNC_HOME: the entry has to carry everything else itself.
func (w *world) schedulerEnv(home string) []string {
	env := []string{"HOME=" + home, "PATH=/usr/bin:/bin", "SSL_CERT_FILE=" + w.cert, "SSL_CERT_DIR=" + w.noCAs}
	for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func (w *world) runArgv(env []string, argv ...string) result {
	w.t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	return w.exec(cmd)
}

// Issue 16 point 5: each scheduler's entry is valid in its own format, and the command line it
// holds, run as that scheduler runs it, syncs the directory with the confirmed tenant and domains.
func TestIssue16_05_ScheduleEntriesRunTheConfirmedSync(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	name := "Woodgrove 100% $HOME \"quoted\""
	d := w.setUp(name)
	userHome := t.TempDir()
	env := []string{"HOME=" + userHome, "XDG_CONFIG_HOME=" + filepath.Join(userHome, ".config")}

	// No confirmed sync yet: nothing to schedule.
	wantRefused(t, w.run("", env, "schedule", "install", "--directory", name, "--every", "4h", "--kind", "systemd", "--no-activate"), ExitFailure, apperr.ConfirmationRequired)
	for _, bad := range [][]string{{"--every", "2m"}, {"--every", "90s"}, {"--kind", "at"}, {"--every", "7m", "--kind", "cron"}} {
		r := w.run("", env, append([]string{"schedule", "install", "--directory", name, "--no-activate", "--every", "4h"}, bad...)...)
		if r.code == 0 || !strings.Contains(r.errOut, "[invalid_input]") {
			t.Fatalf("%v accepted:\n%s", bad, r.all())
		}
	}
	var p backend.PlanSummary
	r := w.run("", nil, "plan", "--directory", name, "--json")
	r.doc(t, "plan", &p)
	if r := w.run("", nil, "sync", "--directory", name, "--confirm-tenant", p.TenantID, "--confirm-domains", strings.Join(p.Domains, ",")); r.code != 0 {
		t.Fatalf("first sync: %s", r.all())
	}

	argvs := map[string][]string{}
	// systemd: the user timer and service; systemd-analyze verify accepts both.
	r = w.run("", env, "schedule", "install", "--directory", name, "--every", "4h", "--kind", "systemd", "--no-activate", "--json")
	var st scheduleStatus
	r.doc(t, "schedule", &st)
	if r.code != 0 || len(st.Files) != 2 || !st.Installed {
		t.Fatalf("systemd install: %s", r.all())
	}
	unitDir := filepath.Join(userHome, ".config", "systemd", "user")
	svc, err := os.ReadFile(filepath.Join(unitDir, "idpsync-sync-"+d.ID+".service"))
	if err != nil {
		t.Fatal(err)
	}
	timer, _ := os.ReadFile(filepath.Join(unitDir, "idpsync-sync-"+d.ID+".timer"))
	if !bytes.Contains(timer, []byte("OnUnitActiveSec=240min")) {
		t.Fatalf("timer:\n%s", timer)
	}
	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		out, err := exec.Command(sa, "verify", filepath.Join(unitDir, "idpsync-sync-"+d.ID+".service"), filepath.Join(unitDir, "idpsync-sync-"+d.ID+".timer")).CombinedOutput()
		if err != nil || bytes.Contains(out, []byte(d.ID)) {
			t.Fatalf("systemd-analyze verify: %v\n%s\n%s", err, out, svc)
		}
	}
	for _, l := range strings.Split(string(svc), "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			argvs["systemd"] = systemdWords(t, v)
		}
	}

	// launchd: the agent's property list, checked against the plist DTD.
	r = w.run("", env, "schedule", "install", "--directory", name, "--every", "30m", "--kind", "launchd", "--no-activate")
	if r.code != 0 {
		t.Fatalf("launchd install: %s", r.all())
	}
	pl, err := os.ReadFile(filepath.Join(userHome, "Library", "LaunchAgents", "com.idpsync.sync."+d.ID+".plist"))
	if err != nil {
		t.Fatal(err)
	}
	top := parsePlist(t, pl)
	if lbl, _ := top.get("Label"); lbl.text != "com.idpsync.sync."+d.ID {
		t.Fatalf("plist label %+v", lbl)
	}
	if iv, _ := top.get("StartInterval"); iv.kind != "integer" || iv.text != "1800" {
		t.Fatalf("plist StartInterval %+v", iv)
	}
	pa, ok := top.get("ProgramArguments")
	if !ok || pa.kind != "array" {
		t.Fatalf("plist ProgramArguments %+v", pa)
	}
	for _, it := range pa.items {
		argvs["launchd"] = append(argvs["launchd"], it.text)
	}

	// Task Scheduler: UTF-16 task XML within the schema.
	r = w.run("", env, "schedule", "install", "--directory", name, "--every", "4h", "--kind", "taskscheduler", "--no-activate", "--json")
	st = scheduleStatus{}
	r.doc(t, "schedule", &st)
	if r.code != 0 || len(st.Files) != 1 || len(st.ActivateCmd) != 1 || st.ActivateCmd[0][0] != "schtasks" {
		t.Fatalf("taskscheduler install: %s", r.all())
	}
	tx, err := os.ReadFile(st.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	tk := parseTask(t, tx)
	if tk.Triggers.TimeTrigger[0].Repetition.Interval != "PT240M" {
		t.Fatalf("task interval %q", tk.Triggers.TimeTrigger[0].Repetition.Interval)
	}
	argvs["taskscheduler"] = append([]string{tk.Actions.Exec[0].Command}, argvW(tk.Actions.Exec[0].Arguments)...)

	// cron: the line, printed; its command goes to sh as cron gives it.
	r = w.run("", env, "schedule", "install", "--directory", name, "--every", "15m", "--kind", "cron", "--print")
	line := strings.TrimSpace(r.out)
	if r.code != 0 || !strings.HasPrefix(line, "*/15 * * * * ") || !strings.HasSuffix(line, "# idpsync-sync-"+d.ID) {
		t.Fatalf("cron line: %s", r.all())
	}
	argvs["cron"] = []string{"/bin/sh", "-c", cronCommand(t, line)}

	// Every entry holds the same sync; each, run as its scheduler runs it, succeeds as an
	// automatic run with the confirmed tenant and domains. Entries whose command lines are the
	// same argv (systemd's, launchd's and Task Scheduler's, once parsed as each scheduler parses
	// them) are the same exec in the same environment: it runs once for them (each run is a sync
	// of 1-2 s under -race, and running the identical process again proved nothing more).
	ran := map[string]string{} // argv → the kind whose run it was
	for _, kind := range []string{"systemd", "launchd", "taskscheduler", "cron"} {
		argv := argvs[kind]
		if kind != "cron" {
			want := []string{"sync", "--directory", d.ID, "--confirm-tenant", p.TenantID, "--confirm-domains", strings.Join(p.Domains, ","), "--yes", "--scheduled", "--home", w.home}
			if len(argv) != len(want)+1 || !filepath.IsAbs(argv[0]) || strings.Join(argv[1:], "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("%s holds %q, want %q", kind, argv, want)
			}
		}
		key := strings.Join(argv, "\x00")
		if first, ok := ran[key]; ok {
			t.Logf("%s's command line is %s's, which ran", kind, first)
			continue
		}
		ran[key] = kind
		r := w.runArgv(w.schedulerEnv(userHome), argv...)
		if r.code != 0 || !strings.Contains(r.out, "Sync succeeded") {
			t.Fatalf("%s's command line: %s", kind, r.all())
		}
	}
	r = w.run("", env, "schedule", "status", "--directory", name, "--kind", "systemd", "--every", "4h", "--json")
	st = scheduleStatus{}
	r.doc(t, "schedule", &st)
	if !st.Installed || st.UpToDate == nil || !*st.UpToDate || st.LastRun == nil || !st.LastRun.Automatic || st.LastRun.Status != "succeeded" {
		t.Fatalf("status: %s", r.all())
	}
	// A rename keeps the entries working: they name the directory by id.
	if r := w.run("", nil, "directory", "edit", "--directory", name, "--name", "Woodgrove", "--no-test"); r.code != 0 {
		t.Fatalf("rename: %s", r.all())
	}
	if r := w.runArgv(w.schedulerEnv(userHome), argvs["systemd"]...); r.code != 0 {
		t.Fatalf("after a rename: %s", r.all())
	}
	for _, kind := range []string{"systemd", "launchd", "taskscheduler"} {
		if r := w.run("", env, "schedule", "remove", "--directory", "Woodgrove", "--kind", kind, "--no-activate"); r.code != 0 || !strings.Contains(r.out, "Removed") {
			t.Fatalf("remove %s: %s", kind, r.all())
		}
	}
	left, _ := filepath.Glob(filepath.Join(userHome, "*", "*", "*"+d.ID+"*"))
	if more, _ := filepath.Glob(filepath.Join(w.home, "tasks", "*")); len(left)+len(more) != 0 {
		t.Fatalf("left after remove: %v %v", left, more)
	}
}
