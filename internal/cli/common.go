package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
)

// JSONVersion is the "version" field of every document printed by --json. It changes only when
// a field is removed or changes meaning; fields are only ever added within one version.
const JSONVersion = 1

// stdin is where secrets and settings documents are read from; tests of the in-process
// commands replace it.
var stdin io.Reader = os.Stdin

// openBackend opens the shared backend for a command. ep are the command line's endpoint
// overrides for this run; the directory's stored endpoints apply otherwise.
func openBackend(ctx context.Context, cfg config.Config, em backend.Emitter, ep backend.Endpoints) (*backend.Backend, error) {
	return backend.Open(ctx, backend.Options{Home: cfg.Home, GraphToken: cfg.GraphToken, Emitter: em, Endpoints: ep})
}

// openDirectory opens the backend and finds the directory named on --directory, as every
// command acting on one directory starts. An error is printed as failDoc prints it (also as a
// JSON document when asJSON) and ok is false with the exit code; otherwise the caller closes b.
func openDirectory(ctx context.Context, cfg config.Config, name string, em backend.Emitter, stdout, stderr io.Writer, asJSON bool) (b *backend.Backend, d backend.Directory, code int, ok bool) {
	b, err := openBackend(ctx, cfg, em, backend.Endpoints{})
	if err == nil {
		if d, err = findDirectory(ctx, b, name); err != nil {
			b.Close()
		}
	}
	if err != nil {
		return nil, backend.Directory{}, failDoc(stdout, stderr, asJSON, err), false
	}
	return b, d, ExitOK, true
}

// findDirectory finds a directory by name (any case) or by id: scheduler entries name it by id,
// which a rename keeps.
func findDirectory(ctx context.Context, b *backend.Backend, name string) (backend.Directory, error) {
	d, err := b.FindDirectory(ctx, name)
	if apperr.CodeOf(err) == apperr.NotFound {
		if byID, ierr := b.GetDirectory(ctx, name); ierr == nil {
			return byID, nil
		}
	}
	return d, err
}

// writeJSON prints one indented document wrapped with its kind and version, so a script can
// check what it parsed: {"version":1,"kind":"directory","directory":{...}}.
func writeJSON(w io.Writer, kind string, v any) error {
	doc := map[string]any{"version": JSONVersion, "kind": kind, kind: v}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// failDoc prints the error as usual on stderr and, for --json, as {"version":1,"kind":"error",
// "error":{"code":…,"message":…,"action":…}} on stdout, so a script reading stdout sees why.
func failDoc(stdout, stderr io.Writer, asJSON bool, err error) int {
	if asJSON {
		e := apperr.As(err)
		_ = writeJSON(stdout, "error", backend.ErrorDTO{Code: string(e.Code), Message: e.Message, Action: e.Action})
	}
	return Fail(stderr, err)
}

// usageFail prints a command-line mistake with the command's help and returns ExitUsage.
func usageFail(stderr io.Writer, help, format string, args ...any) int {
	fmt.Fprintf(stderr, "error [%s]: %s\n", apperr.InvalidInput, fmt.Sprintf(format, args...))
	fmt.Fprint(stderr, help)
	return ExitUsage
}

// badArgs answers a command line its flag set refused: --help (or -h) prints the help on stdout
// and succeeds; anything else is a usage error with the help.
func badArgs(stdout, stderr io.Writer, help string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help)
		return ExitOK
	}
	return usageFail(stderr, help, "%s", usageMsg(err, "bad arguments"))
}

// newFlags returns a flag set that reports errors itself (the command prints its help).
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// refusedUsage marks the flags secretFlags defines; flagHelp leaves them out.
const refusedUsage = "refused"

// secretFlags refuses secrets on the command line: argv is readable by every user of the machine
// (ps, /proc/PID/cmdline) and stays in shell history. The flags named exist only to say so; the
// check it returns, run after parsing, is the invalid_input error naming those given, with
// action (where the command takes the secret from instead).
func secretFlags(fs *flag.FlagSet, action string, names ...string) func() error {
	var given []string
	for _, n := range names {
		fs.Func(n, refusedUsage, func(string) error { given = append(given, "--"+n); return nil })
	}
	return func() error {
		if len(given) == 0 {
			return nil
		}
		return apperr.New(apperr.InvalidInput, "%s: secrets are never taken from the command line (other users can read it in the process list, and the shell keeps it in its history)", strings.Join(given, ", ")).
			WithAction(action)
	}
}

// secretReader hands out the lines of standard input in order: with both --scim-key-stdin and
// --org-key-stdin, the first line is the SCIM key and the second the organization key.
type secretReader struct {
	r *bufio.Reader
}

func (s *secretReader) next(what string) (string, error) {
	if s.r == nil {
		if f, ok := stdin.(*os.File); ok && isTerminal(f) {
			fmt.Fprintf(os.Stderr, "%s (the input is shown; prefer a pipe or an environment variable): ", what)
		}
		s.r = bufio.NewReader(stdin)
	}
	line, err := s.r.ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" && err != nil {
		return "", apperr.New(apperr.SecretMissing, "the %s was not on standard input", what).WithAction("Pipe the key in, one key per line.")
	}
	if strings.TrimSpace(line) == "" {
		return "", apperr.New(apperr.SecretMissing, "the %s on standard input is empty", what).WithAction("Pipe the key in, one key per line.")
	}
	return strings.TrimSpace(line), nil
}

// secret returns a key from standard input (fromStdin) or from the environment variable env;
// "" when neither is given.
func (s *secretReader) secret(fromStdin bool, env, what string) (string, error) {
	if fromStdin {
		return s.next(what)
	}
	if v, ok := os.LookupEnv(env); ok {
		if strings.TrimSpace(v) == "" {
			return "", apperr.New(apperr.SecretMissing, "%s is set but empty", env).WithAction("Set it to the key, or unset it.")
		}
		return strings.TrimSpace(v), nil
	}
	return "", nil
}

// subParse is a `COMMAND SUB [flags] [arguments]` command line, parsed.
type subParse struct {
	sub, help string
	fs        *flag.FlagSet
	pos       []string // the positional arguments, wherever they stood among the flags
}

// parseSub splits `COMMAND SUB …` and parses the flags define registers, before or after the
// positional arguments. ok is false when the command is done (its help printed, the subcommand
// missing or not one of the command's Subs, or a flag refused); code is then its exit code.
func parseSub(name, missing string, args []string, define func(fs *flag.FlagSet), stdout, stderr io.Writer) (p subParse, code int, ok bool) {
	c, _ := std.lookup(name)
	p.help = c.help()
	sub, rest, code, done := subcommand(args, p.help, missing, stdout, stderr)
	if done {
		return p, code, false
	}
	if !slices.ContainsFunc(c.Subs, func(s Sub) bool { return s.Name == sub }) {
		return p, usageFail(stderr, p.help, "unknown %s command %q", name, sub), false
	}
	p.sub, p.fs = sub, newFlags(name+" "+sub)
	define(p.fs)
	pos, err := parseInterspersed(p.fs, rest)
	if err != nil {
		return p, badArgs(stdout, stderr, p.help, err), false
	}
	p.pos = pos
	return p, 0, true
}

// parseDirSub is parseSub for a command whose every subcommand acts on the one directory that
// --directory (dir) names, and takes no other argument.
func parseDirSub(name, missing string, args []string, define func(fs *flag.FlagSet), dir *string, stdout, stderr io.Writer) (subParse, int, bool) {
	p, code, ok := parseSub(name, missing, args, define, stdout, stderr)
	if ok && (*dir == "" || len(p.pos) > 0) {
		return p, usageFail(stderr, p.help, "%s %s needs --directory NAME and no other argument", name, p.sub), false
	}
	return p, code, ok
}

// subcommand splits `COMMAND SUB …`: it prints the help for help/-h/--help and a usage error
// when SUB is missing (done is then true and code the exit code).
func subcommand(args []string, help, missing string, stdout, stderr io.Writer) (sub string, rest []string, code int, done bool) {
	if len(args) == 0 {
		return "", nil, usageFail(stderr, help, "%s", missing), true
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, help)
		return "", nil, ExitOK, true
	}
	return args[0], args[1:], 0, false
}

func envSet(name string) bool {
	_, ok := os.LookupEnv(name)
	return ok
}
