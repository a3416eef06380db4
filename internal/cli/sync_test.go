package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/config"
)

func TestSyncAndPlanDemo(t *testing.T) {
	t.Parallel()
	cfg := config.Config{Home: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"plan", "--demo"}, {"sync", "--demo"}} {
		var out, errb bytes.Buffer
		if code := Run(ctx, cfg, args, &out, &errb); code != ExitOK {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out.String(), errb.String())
		}
		path := ""
		for _, l := range strings.Split(out.String(), "\n") {
			if p, ok := strings.CutPrefix(l, "Report: "); ok {
				path = p
			}
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%v: report %q: %v\n%s", args, path, err, out.String())
		}
		if args[0] == "sync" && !strings.Contains(out.String(), "Sync succeeded") {
			t.Fatalf("sync output:\n%s", out.String())
		}
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
