package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/report"
)

func writeReport(t *testing.T, path string, runID string, result report.Result) {
	t.Helper()
	at := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	r := &report.Report{RunID: runID, Kind: report.KindApply, Status: report.StatusSucceeded, AppVersion: "test",
		Tenant:    report.TenantRef{ID: "tid", Name: "Contoso Ltd"},
		Directory: report.DirectoryRef{ID: "d", Name: "Contoso"},
		Confirmed: report.Confirmation{TenantID: "tid", Domains: []string{"contoso.com"}, Account: "admin@contoso.com", At: at},
		Started:   at, Ended: at.Add(time.Minute),
		Operations: []report.Operation{
			{Seq: 1, Action: report.CreateUser, Object: report.ObjectRef{Type: "user", Name: "Zoë\x1b[2J", Email: "zoe@contoso.com", EntraID: "u1"}, Result: result},
		},
		Skips: []report.Skip{{Object: report.ObjectRef{Type: "user", Name: "Carol", EntraID: "u2"}, Reason: "unverified_domain"}},
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := report.Write(f, r, report.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), config.Config{}, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestReportCommands(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	writeReport(t, a, "run-a", report.ResultFailed)
	writeReport(t, b, "run-b", report.ResultSucceeded)

	code, out, errs := runCLI("report", "show", a)
	if code != ExitOK || !strings.Contains(out, "Contoso Ltd") || !strings.Contains(out, "admin@contoso.com") || strings.Contains(out, "\x1b") {
		t.Fatalf("show: %d %q %q", code, out, errs)
	}

	html := filepath.Join(dir, "shared.html")
	code, out, errs = runCLI("report", "export", a, "--format", "html", "--pseudonymize", "--out", html)
	if code != ExitOK || strings.TrimSpace(out) != html {
		t.Fatalf("export html: %d %q %q", code, out, errs)
	}
	l, err := report.LoadFile(html)
	if err != nil || !l.Report.Pseudonymized || l.Report.Operations[0].Object.Email == "zoe@contoso.com" {
		t.Fatalf("pseudonymized html: %+v %v", l, err)
	}
	code, out, _ = runCLI("report", "export", "--format=csv", a)
	if code != ExitOK || !strings.Contains(out, "operations.csv") || !strings.Contains(out, "skips.csv") {
		t.Fatalf("export csv: %d %q", code, out)
	}
	code, out, _ = runCLI("report", "export", a, "--format", "json", "--gzip")
	if code != ExitOK || !strings.HasSuffix(strings.TrimSpace(out), "a.json.gz") {
		t.Fatalf("export gzip: %d %q", code, out)
	}

	code, out, _ = runCLI("report", "diff", a, b)
	if code != ExitOK || !strings.Contains(out, "1 results changed") || !strings.Contains(out, "failed → succeeded") {
		t.Fatalf("diff: %d %q", code, out)
	}
	code, out, _ = runCLI("report", "diff", "--json", a, b)
	if code != ExitOK || !strings.Contains(out, `"resultChanged": 1`) {
		t.Fatalf("diff --json: %d %q", code, out)
	}
}

func TestReportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema":"idpsync.report","version":7,"operations":[]}`), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report"}, ExitUsage, "Usage"},
		{[]string{"report", "frob"}, ExitUsage, "unknown report command"},
		{[]string{"report", "show"}, ExitUsage, "one FILE"},
		{[]string{"report", "export", bad}, ExitUsage, "--format must be"},
		{[]string{"report", "export", bad, "--format", "html", "--keep-domains"}, ExitUsage, "needs --pseudonymize"},
		{[]string{"report", "diff", bad}, ExitUsage, "two files"},
		{[]string{"report", "show", bad}, ExitFailure, "error [report_unsupported_version]"},
		{[]string{"report", "show", filepath.Join(dir, "missing.json")}, ExitFailure, "error [not_found]"},
		{[]string{"report", "show", dir}, ExitFailure, "error [invalid_input]"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d with %q", c.args, code, errs, c.code, c.want)
		}
	}
}
