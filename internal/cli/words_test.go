package cli

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/report"
)

// Issue 16 point 8: `idpsync sync` shows the plan block once, and `report show` says the run in
// the app's words, each block once, with the numbers the app shows (report.CountRows sums every
// count of an action, as the app's count table does).
func TestIssue16_08_SyncAndReportShowInWords(t *testing.T) {
	t.Parallel()
	run := sharedDemoSync(t)
	cfg, o := run.cfg, run.out
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, block := range []string{"Tenant:", "Plan:", "Conflict:", "Sync succeeded"} {
		if n := strings.Count(o, block); n != 1 {
			t.Fatalf("%q printed %d times:\n%s", block, n, o)
		}
	}
	path := run.reportPath()
	var show, js, errb bytes.Buffer
	if code := Run(ctx, cfg, []string{"report", "show", path}, &show, &errb); code != ExitOK {
		t.Fatalf("report show: %s", errb.String())
	}
	if code := Run(ctx, cfg, []string{"report", "show", "--json", path}, &js, &errb); code != ExitOK {
		t.Fatalf("report show --json: %s", errb.String())
	}
	var sum report.Summary
	result{out: js.String()}.doc(t, "report", &sum)
	text := show.String()
	if strings.Count(text, "Changes:") != 1 || strings.Count(text, "Settings") != 1 {
		t.Fatalf("blocks repeated:\n%s", text)
	}
	changes := text[strings.Index(text, "Changes:"):]
	seen := 0
	for _, r := range report.CountRows {
		want := 0
		for _, c := range sum.Counts {
			if c.Action == r.Action {
				want += c.N
			}
		}
		m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(r.Label) + ` +(\d+)`).FindStringSubmatch(changes)
		switch {
		case want == 0 && m != nil:
			t.Fatalf("%q shown with no operation:\n%s", r.Label, changes)
		case want > 0 && (m == nil || m[1] != strconv.Itoa(want)):
			t.Fatalf("%q: shown %v, the report counts %d:\n%s", r.Label, m, want, changes)
		case want > 0:
			seen++
		}
	}
	if seen < 4 {
		t.Fatalf("only %d kinds of change shown:\n%s", seen, changes)
	}
	for _, raw := range []string{"create_user", "add_member", "conflict_group", "domains=", "read_tenant", "partial"} {
		if strings.Contains(text, raw) || strings.Contains(o, raw) {
			t.Fatalf("raw code %q printed:\n%s\n%s", raw, o, text)
		}
	}
}
