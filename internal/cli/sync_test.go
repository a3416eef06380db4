package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/config"
)

// demoRun is one `idpsync ARGS --demo` in its own home, in this process.
type demoRun struct {
	cfg         config.Config
	out, errOut string
	code        int
}

// reportPath is the report the run printed ("Report: PATH"), or "".
func (r demoRun) reportPath() string {
	path := ""
	for _, l := range strings.Split(r.out, "\n") {
		if p, ok := strings.CutPrefix(l, "Report: "); ok {
			path = p
		}
	}
	return path
}

func runDemo(home string, args ...string) demoRun {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := demoRun{cfg: config.Config{Home: home}}
	var out, errb bytes.Buffer
	r.code = Run(ctx, r.cfg, args, &out, &errb)
	r.out, r.errOut = out.String(), errb.String()
	return r
}

// demoSync is the package's one `idpsync sync --demo` (~3 s of wall, most of it the limiter's
// slow start over ~935 writes, and ~0.7 CPU-s under -race): the tests that read what it printed
// and the report it wrote share it and only read its home, which TestMain removes (demoHome).
var (
	demoHome string
	demoSync = sync.OnceValue(func() demoRun {
		home, err := os.MkdirTemp("", "idpsync-cli-demo-")
		if err != nil {
			return demoRun{code: -1, errOut: err.Error()}
		}
		demoHome = home
		return runDemo(home, "sync", "--demo")
	})
)

// sharedDemoSync is demoSync, failing t when the sync did not succeed.
func sharedDemoSync(t *testing.T) demoRun {
	t.Helper()
	r := demoSync()
	if r.code != ExitOK {
		t.Fatalf("sync --demo: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	return r
}

func TestSyncAndPlanDemo(t *testing.T) {
	t.Parallel()
	plan := runDemo(t.TempDir(), "plan", "--demo")
	if plan.code != ExitOK {
		t.Fatalf("plan --demo: exit %d\n%s\n%s", plan.code, plan.out, plan.errOut)
	}
	for _, r := range []demoRun{plan, sharedDemoSync(t)} {
		if _, err := os.Stat(r.reportPath()); err != nil {
			t.Fatalf("report %q: %v\n%s", r.reportPath(), err, r.out)
		}
	}
	if out := sharedDemoSync(t).out; !strings.Contains(out, "Sync succeeded") {
		t.Fatalf("sync output:\n%s", out)
	}
}

func TestSyncUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), config.Config{}, []string{"sync", "--directory", "x"}, &out, &errb); code != ExitUsage {
		t.Fatalf("sync without a confirmation: exit %d", code)
	}
	if code := Run(context.Background(), config.Config{}, []string{"plan"}, &out, &errb); code != ExitUsage {
		t.Fatalf("plan without a directory: exit %d", code)
	}
}
