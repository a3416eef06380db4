package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

func TestCronIntervalsAreExactOrRefused(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "*/5 * * * *", 30 * time.Minute: "*/30 * * * *", time.Hour: "0 * * * *",
		4 * time.Hour: "0 */4 * * *", 24 * time.Hour: "0 0 * * *"} {
		if got, err := cronSpec(d); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", d, got, err, want)
		}
	}
	for _, d := range []time.Duration{7 * time.Minute, 45 * time.Minute, 5 * time.Hour, 48 * time.Hour} {
		if err := CheckInterval(Cron, d); apperr.CodeOf(err) != apperr.InvalidInput {
			t.Errorf("cron every %s: %v", d, err)
		}
		if d >= MinInterval && CheckInterval(Systemd, d) != nil {
			t.Errorf("systemd every %s refused", d)
		}
	}
}

func TestCrontabMergeKeepsOtherLines(t *testing.T) {
	tab := "MAILTO=me\n0 1 * * * backup # idpsync-sync-other\n*/5 * * * * old # idpsync-sync-abc\n"
	got := MergeCrontab(tab, "abc", "0 */4 * * * new # idpsync-sync-abc")
	if got != "MAILTO=me\n0 1 * * * backup # idpsync-sync-other\n0 */4 * * * new # idpsync-sync-abc\n" {
		t.Fatalf("merged:\n%s", got)
	}
	if l, ok := CronLineOf(got, "abc"); !ok || !strings.Contains(l, "new") {
		t.Fatalf("line %q", l)
	}
	if r := RemoveFromCrontab(got, "abc"); strings.Contains(r, "idpsync-sync-abc") || !strings.Contains(r, "backup") {
		t.Fatalf("removed:\n%s", r)
	}
	if got := MergeCrontab("no newline at end", "x", "* * * * * y # idpsync-sync-x"); got != "no newline at end\n* * * * * y # idpsync-sync-x\n" {
		t.Fatalf("%q", got)
	}
}

func TestWindowsArgsQuoting(t *testing.T) {
	for in, want := range map[string]string{`plain`: `plain`, `a b`: `"a b"`, ``: `""`, `say "hi"`: `"say \"hi\""`, `C:\dir with space\`: `"C:\dir with space\\"`, `a\\b`: `a\\b`} {
		if got := WindowsArgs([]string{in}); got != want {
			t.Errorf("%q → %s, want %s", in, got, want)
		}
	}
}
