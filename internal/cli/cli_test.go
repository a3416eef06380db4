package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/version"
)

// testRegistry has the built-ins plus the given commands and nothing that other files of the
// package register, so the expectations below hold whatever commands are linked in.
func testRegistry(t *testing.T, extra ...Command) *registry {
	t.Helper()
	r := newRegistry()
	r.register(helpCommand(r))
	r.register(versionCommand())
	for _, c := range extra {
		r.register(c)
	}
	return r
}

func run(r *registry, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = r.run(context.Background(), config.Config{}, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpListsCommandsSorted(t *testing.T) {
	r := testRegistry(t,
		Command{Name: "zeta", Usage: "idpsync zeta", Summary: "Last one", Run: func(context.Context, config.Config, []string, io.Writer, io.Writer) int { return 0 }},
		Command{Name: "alpha", Usage: "idpsync alpha", Summary: "First one", Run: func(context.Context, config.Config, []string, io.Writer, io.Writer) int { return 0 }},
	)
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, errOut := run(r, args...)
		if code != ExitOK || errOut != "" {
			t.Fatalf("%v: code %d stderr %q", args, code, errOut)
		}
		ia, ih, iv, iz := strings.Index(out, "alpha"), strings.Index(out, "  help"), strings.Index(out, "  version"), strings.Index(out, "zeta")
		if ia < 0 || ih < 0 || iv < 0 || iz < 0 || !(ia < ih && ih < iv && iv < iz) {
			t.Fatalf("%v: commands missing or unsorted:\n%s", args, out)
		}
		if !strings.Contains(out, "alpha    First one") || !strings.Contains(out, "Print the version") {
			t.Fatalf("%v: summaries missing:\n%s", args, out)
		}
	}
}

func TestHelpForOneCommand(t *testing.T) {
	r := testRegistry(t)
	code, out, _ := run(r, "help", "version")
	if code != ExitOK || !strings.HasPrefix(out, "usage: idpsync version\n") {
		t.Fatalf("code %d out %q", code, out)
	}
	code, _, errOut := run(r, "help", "nope")
	if code != ExitUsage || !strings.Contains(errOut, `unknown command "nope"`) {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
	code, _, errOut = run(r, "help", "a", "b")
	if code != ExitUsage || !strings.Contains(errOut, "usage: idpsync help [command]") {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	old := version.Version
	t.Cleanup(func() { version.Version = old })
	version.Version = "v9.8.7"
	r := testRegistry(t)
	for _, arg := range []string{"version", "--version"} {
		code, out, _ := run(r, arg)
		if code != ExitOK || !strings.HasPrefix(out, "idpsync v9.8.7") {
			t.Fatalf("%s: code %d out %q", arg, code, out)
		}
	}
	code, _, errOut := run(r, "version", "extra")
	if code != ExitUsage || !strings.Contains(errOut, "error [invalid_input]") {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
}

func TestUnknownCommandPrintsUsageAndExits2(t *testing.T) {
	r := testRegistry(t)
	code, out, errOut := run(r, "frobnicate")
	if code != ExitUsage || out != "" {
		t.Fatalf("code %d stdout %q", code, out)
	}
	if !strings.Contains(errOut, `unknown command "frobnicate"`) || !strings.Contains(errOut, "Commands:") {
		t.Fatalf("stderr %q", errOut)
	}
	code, out, errOut = run(r)
	if code != ExitUsage || out != "" || !strings.Contains(errOut, "Usage:") {
		t.Fatalf("no args: code %d stdout %q stderr %q", code, out, errOut)
	}
}

func TestArgumentsReachTheCommand(t *testing.T) {
	var got []string
	r := testRegistry(t, Command{Name: "echo", Usage: "idpsync echo ARGS", Summary: "s",
		Run: func(_ context.Context, _ config.Config, args []string, stdout, _ io.Writer) int {
			got = args
			io.WriteString(stdout, strings.Join(args, ","))
			return 7
		}})
	code, out, _ := run(r, "echo", "a", "--b", "c")
	if code != 7 || out != "a,--b,c" || len(got) != 3 {
		t.Fatalf("code %d out %q args %q", code, out, got)
	}
}

func TestPanickingCommandReportsInternalError(t *testing.T) {
	r := testRegistry(t, Command{Name: "boom", Usage: "idpsync boom", Summary: "s",
		Run: func(context.Context, config.Config, []string, io.Writer, io.Writer) int { panic("kaboom") }})
	code, _, errOut := run(r, "boom")
	if code != ExitFailure || !strings.HasPrefix(errOut, "error [internal]: command boom crashed: kaboom\n") {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
}

func TestRegisterRejectsBadCommands(t *testing.T) {
	ok := func(context.Context, config.Config, []string, io.Writer, io.Writer) int { return 0 }
	cases := map[string]Command{
		"empty name": {Name: "", Run: ok},
		"space":      {Name: "a b", Run: ok},
		"flag-like":  {Name: "-x", Run: ok},
		"nil run":    {Name: "x"},
		"duplicate":  {Name: "help", Run: ok},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := testRegistry(t)
			defer func() {
				if recover() == nil {
					t.Fatal("register did not panic")
				}
			}()
			r.register(c)
		})
	}
}

func TestFailFormatsCodedErrors(t *testing.T) {
	var b bytes.Buffer
	code := Fail(&b, apperr.New(apperr.TenantMismatch, "signed in to tenant B, directory uses tenant A").WithAction("Sign in to tenant A."))
	if code != ExitFailure || b.String() != "error [tenant_mismatch]: signed in to tenant B, directory uses tenant A\nSign in to tenant A.\n" {
		t.Fatalf("code %d out %q", code, b.String())
	}
	b.Reset()
	// A coded error keeps its cause out of the output; an uncoded one shows it.
	Fail(&b, apperr.Wrap(errors.New("token=secret"), apperr.AuthFailed, "sign-in failed"))
	if strings.Contains(b.String(), "secret") {
		t.Fatalf("cause leaked: %q", b.String())
	}
	b.Reset()
	Fail(&b, errors.New("disk full"))
	if b.String() != "error [internal]: unexpected error: disk full\n" {
		t.Fatalf("out %q", b.String())
	}
	if Fail(&b, nil) != ExitOK {
		t.Fatal("nil error should be ExitOK")
	}
}

func TestPackageRegistryHasBuiltins(t *testing.T) {
	names := map[string]bool{}
	for _, c := range Commands() {
		names[c.Name] = true
	}
	if !names["help"] || !names["version"] {
		t.Fatalf("built-ins missing: %v", names)
	}
	var out bytes.Buffer
	if code := Run(context.Background(), config.Config{}, []string{"help"}, &out, io.Discard); code != ExitOK || !strings.Contains(out.String(), "version") {
		t.Fatalf("Run(help) = %d %q", code, out.String())
	}
}
