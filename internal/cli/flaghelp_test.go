package cli

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/idpsync/idpsync/internal/config"
)

// Every command that defines its flags through Command.Flags shows each of them, with its usage
// string, in `idpsync help COMMAND` and in `idpsync COMMAND --help`: the flag definition is the
// only place its help is written, so a new flag cannot be missing from the help.
func TestFlagsAreTheHelp(t *testing.T) {
	checked := 0
	for _, c := range Commands() {
		if c.Flags == nil {
			continue
		}
		checked++
		var help, self bytes.Buffer
		if code := Run(context.Background(), config.Config{}, []string{"help", c.Name}, &help, &help); code != ExitOK {
			t.Fatalf("help %s: exit %d", c.Name, code)
		}
		if code := Run(context.Background(), config.Config{}, []string{c.Name, "--help"}, &self, &self); code != ExitOK {
			t.Fatalf("%s --help: exit %d\n%s", c.Name, code, self.String())
		}
		fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
		c.Flags(fs)
		fs.VisitAll(func(f *flag.Flag) {
			if f.Usage == refusedUsage {
				return
			}
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%s --%s has no usage string", c.Name, f.Name)
				return
			}
			_, usage := flag.UnquoteUsage(f)
			first := strings.Join(strings.Fields(usage)[:min(4, len(strings.Fields(usage)))], " ")
			for where, out := range map[string]string{"help " + c.Name: help.String(), c.Name + " --help": self.String()} {
				if !strings.Contains(out, "--"+f.Name+" ") && !strings.Contains(out, "--"+f.Name+"\n") || !strings.Contains(out, first) {
					t.Errorf("%s does not show --%s with %q:\n%s", where, f.Name, first, out)
				}
			}
		})
	}
	if checked < 2 {
		t.Fatalf("only %d commands define their flags through Command.Flags", checked)
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
