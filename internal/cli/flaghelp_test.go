package cli

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/config"
)

// Every command and every subcommand defines its flags with their usage strings (Command.Flags,
// Sub.Flags), and shows each of them in `idpsync help COMMAND`, `idpsync COMMAND --help` and
// `idpsync COMMAND SUB --help`: the flag definition is the only place its help is written, so a
// new flag cannot be missing from the help.
func TestFlagsAreTheHelp(t *testing.T) {
	run := func(args ...string) string {
		var out bytes.Buffer
		if code := Run(context.Background(), config.Config{}, args, &out, &out); code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", strings.Join(args, " "), code, out.String())
		}
		return out.String()
	}
	checked := 0
	for _, c := range Commands() {
		if c.Name == "help" || c.Name == "version" { // they take no flags
			continue
		}
		outs := map[string]string{"help " + c.Name: run("help", c.Name), c.Name + " --help": run(c.Name, "--help")}
		for _, s := range c.Subs {
			outs[c.Name+" "+s.Name+" --help"] = run(c.Name, s.Name, "--help")
		}
		shown := func(who string, define func(fs *flag.FlagSet)) {
			fs := flag.NewFlagSet(who, flag.ContinueOnError)
			define(fs)
			n := 0
			fs.VisitAll(func(f *flag.Flag) {
				if f.Usage == refusedUsage {
					return
				}
				n++
				if strings.TrimSpace(f.Usage) == "" {
					t.Errorf("%s --%s has no usage string", who, f.Name)
					return
				}
				_, usage := flag.UnquoteUsage(f)
				first := strings.Join(strings.Fields(usage)[:min(4, len(strings.Fields(usage)))], " ")
				for where, out := range outs {
					if !strings.Contains(out, "--"+f.Name+" ") && !strings.Contains(out, "--"+f.Name+"\n") || !strings.Contains(out, first) {
						t.Errorf("%s does not show --%s with %q:\n%s", where, f.Name, first, out)
					}
				}
			})
			if n == 0 {
				t.Errorf("%s defines no flag", who)
			}
			checked++
		}
		if c.Flags != nil {
			shown(c.Name, c.Flags)
		}
		for _, s := range c.Subs {
			if s.Flags != nil {
				shown(c.Name+" "+s.Name, s.Flags)
			} else if c.Flags == nil {
				t.Errorf("%s %s has no flags of its own and %s none to share", c.Name, s.Name, c.Name)
			}
		}
		if c.Flags == nil && len(c.Subs) == 0 {
			t.Errorf("%s defines its flags neither through Command.Flags nor its Subs", c.Name)
		}
	}
	// plan, sync, emulate, directory, alerts, conflicts, settings, schedule, signin, signout
	// and report's show, export and diff.
	if checked < 13 {
		t.Fatalf("only %d flag sets checked", checked)
	}
}

// A subcommand that is not one of the command's Subs is a usage error naming it, with the help.
func TestUnknownSubcommands(t *testing.T) {
	n := 0
	for _, c := range Commands() {
		if len(c.Subs) == 0 {
			continue
		}
		n++
		var out, errb bytes.Buffer
		code := Run(context.Background(), config.Config{}, []string{c.Name, "frob", "--directory", "x"}, &out, &errb)
		if code != ExitUsage || !strings.Contains(errb.String(), "unknown "+c.Name+" command \"frob\"") || !strings.Contains(errb.String(), "idpsync "+c.Name+" "+c.Subs[0].Name) {
			t.Errorf("%s frob: exit %d\n%s%s", c.Name, code, out.String(), errb.String())
		}
	}
	if n < 6 {
		t.Fatalf("only %d commands have subcommands", n)
	}
}

func TestFlagHelpLayout(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("directory", "", "the directory `NAME`")
	fs.Bool("yes", false, "do not ask")
	fs.Int("users", 300, "`N` users")
	fs.Bool("override-removal-threshold", false, strings.Repeat("word ", 30))
	fs.String("scim-key", "", refusedUsage)
	got := flagHelp(fs)
	want := "  --directory NAME         the directory NAME\n" +
		"  --override-removal-threshold\n" +
		"                           " + strings.TrimSpace(strings.Repeat("word ", 14)) + "\n" +
		"                           " + strings.TrimSpace(strings.Repeat("word ", 14)) + "\n" +
		"                           word word\n" +
		"  --users N                N users (default 300)\n" +
		"  --yes                    do not ask\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
