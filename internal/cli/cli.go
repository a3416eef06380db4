// Package cli runs idpsync's subcommands: `idpsync <command> [arguments]`. Each command lives
// in its own file of this package and registers itself from init(), so adding a command never
// touches the dispatcher. The desktop GUI and the commands share one backend (internal/backend);
// this package only parses arguments and prints.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/config"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed; the error was printed
	ExitUsage   = 2 // bad command line; usage was printed
)

// Command is one subcommand.
type Command struct {
	Name    string // the word after idpsync, e.g. "report"
	Usage   string // the synopsis, e.g. "idpsync report [--format json|html|csv] FILE"
	Summary string // one line for `idpsync help`
	// Flags defines the command's flags with their usage strings, which are its help's flag list
	// (flagHelp): written once, beside the flag, so help and flags cannot drift. Nil for a
	// command whose help is written out (Notes alone).
	Flags func(fs *flag.FlagSet)
	// Subs are the subcommands of a command run as `idpsync NAME SUB …`, in its help's order.
	Subs []Sub
	// Notes follow the flag list in the command's help.
	Notes string
	// Run receives the arguments after the command name and returns the process exit code.
	Run func(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int
}

// registry holds the commands. The package keeps one (std); tests build their own so they do
// not depend on which other commands are linked in.
type registry struct {
	mu   sync.RWMutex
	cmds map[string]Command
}

func newRegistry() *registry { return &registry{cmds: map[string]Command{}} }

var std = newRegistry()

// Register adds a command. It panics on an empty or duplicate name or a nil Run: those are
// programming errors that every test run would catch at init.
func Register(c Command) { std.register(c) }

// Commands returns the registered commands sorted by name.
func Commands() []Command { return std.list() }

// Run dispatches args (os.Args[1:]) with the process's configuration and returns the exit code.
func Run(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	return std.run(ctx, cfg, args, stdout, stderr)
}

func (r *registry) register(c Command) {
	if c.Name == "" || strings.ContainsAny(c.Name, " \t\n") || strings.HasPrefix(c.Name, "-") {
		panic(fmt.Sprintf("cli: invalid command name %q", c.Name))
	}
	if c.Run == nil {
		panic(fmt.Sprintf("cli: command %q has no Run", c.Name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.cmds[c.Name]; dup {
		panic(fmt.Sprintf("cli: command %q registered twice", c.Name))
	}
	r.cmds[c.Name] = c
}

func (r *registry) lookup(name string) (Command, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.cmds[name]
	return c, ok
}

func (r *registry) list() []Command {
	r.mu.RLock()
	out := make([]Command, 0, len(r.cmds))
	for _, c := range r.cmds {
		out = append(out, c)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r *registry) run(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) (code int) {
	if len(args) == 0 {
		r.usage(stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	c, ok := r.lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "idpsync: unknown command %q\n\n", args[0])
		r.usage(stderr)
		return ExitUsage
	}
	// A command that panics must still end with the documented error line and exit code, not
	// a goroutine dump that hides the message from the admin's scheduler log.
	defer func() {
		if p := recover(); p != nil {
			code = Fail(stderr, apperr.New(apperr.Internal, "command %s crashed: %v", c.Name, p).
				WithAction("This is a bug in IdP Sync; please report it with the command you ran."))
		}
	}()
	return c.Run(ctx, cfg, args[1:], stdout, stderr)
}

// Sub is one subcommand in its command's help: its synopsis, what it does and, when it has
// flags of its own, their list; a Sub without Flags takes the command's.
type Sub struct {
	Name  string
	Args  string // the synopsis after the name, e.g. "--directory NAME [--json]"
	Text  string // what it does, a few lines
	Flags func(fs *flag.FlagSet)
}

// help is the command's help after its usage line: its subcommands (each with the flags it
// defines), the flags the command's Flags defines, then Notes. Every flag list is generated from
// the definitions (flagHelp).
func (c Command) help() string {
	var b strings.Builder
	if len(c.Subs) > 0 {
		b.WriteString("Usage:\n")
	}
	for _, s := range c.Subs {
		fmt.Fprintf(&b, "  idpsync %s\n", strings.TrimSpace(c.Name+" "+s.Name+" "+s.Args))
		for _, l := range strings.Split(strings.TrimRight(s.Text, "\n"), "\n") {
			if l != "" {
				b.WriteString("      " + l + "\n")
			}
		}
		if s.Flags != nil {
			b.WriteString(flagHelp(flagsOf(c.Name+" "+s.Name, s.Flags)))
		}
	}
	if c.Flags != nil {
		b.WriteString("\nFlags:\n" + flagHelp(flagsOf(c.Name, c.Flags)))
	}
	return b.String() + c.Notes
}

// helpOf is the help of the registered command name, as `idpsync help NAME` prints it after its
// usage line: what a command prints for --help and after a usage error.
func helpOf(name string) string {
	c, _ := std.lookup(name)
	return c.help()
}

// usageHelp is the usage line and help of the registered command name, for a command without
// subcommands.
func usageHelp(name string) string {
	c, _ := std.lookup(name)
	return "Usage: " + c.Usage + "\n" + c.help()
}

func flagsOf(name string, define func(fs *flag.FlagSet)) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	define(fs)
	return fs
}

// flagHelp lists fs's flags with their usage strings: "--name METAVAR" (the `quoted` word of the
// usage, as flag.UnquoteUsage reads it; none for a bool), then the usage and a default other
// than the zero value, wrapped at about 100 columns. The flags that exist only to refuse a secret on the command line (secretFlags) are
// left out.
func flagHelp(fs *flag.FlagSet) string {
	const col, width = 27, 100
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage == refusedUsage {
			return
		}
		meta, usage := flag.UnquoteUsage(f)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			meta = ""
		}
		if d := f.DefValue; d != "" && d != "0" && d != "false" {
			usage += " (default " + d + ")"
		}
		head := "  --" + f.Name
		if meta != "" {
			head += " " + meta
		}
		if len(head) > col-2 {
			b.WriteString(head + "\n")
			head = ""
		}
		line := fmt.Sprintf("%-*s", col, head)
		for i, w := range strings.Fields(usage) {
			if i > 0 && len(line)+1+len(w) > width {
				b.WriteString(strings.TrimRight(line, " ") + "\n")
				line = strings.Repeat(" ", col)
			} else if i > 0 {
				line += " "
			}
			line += w
		}
		b.WriteString(line + "\n")
	})
	return b.String()
}

// usage prints the top-level help: how to start the GUI and the command list.
func (r *registry) usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("IdP Sync keeps an Atlassian organization's users and groups in sync with Microsoft Entra ID.\n\n")
	b.WriteString("Usage:\n  idpsync                       start the desktop app\n  idpsync <command> [arguments]\n\nCommands:\n")
	cmds := r.list()
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.Name))
	}
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.Name, c.Summary)
	}
	b.WriteString("\nRun 'idpsync help <command>' for a command's usage.\n")
	io.WriteString(w, b.String())
}

// Fail prints err as `error [code]: message`, then the action on its own line, and returns
// ExitFailure. Errors without a code print as internal; only then is the cause shown, because
// a coded message is written for people and the cause may carry details that are not.
func Fail(stderr io.Writer, err error) int {
	e := apperr.As(err)
	if e == nil {
		return ExitOK
	}
	msg := e.Message
	if e.Code == apperr.Internal && e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	fmt.Fprintf(stderr, "error [%s]: %s\n", e.Code, msg)
	if e.Action != "" {
		fmt.Fprintln(stderr, e.Action)
	}
	return ExitFailure
}

// UsageError prints a command-line mistake and the command's usage, and returns ExitUsage.
func UsageError(stderr io.Writer, c Command, format string, args ...any) int {
	fmt.Fprintf(stderr, "error [%s]: %s\nusage: %s\n", apperr.InvalidInput, fmt.Sprintf(format, args...), c.Usage)
	return ExitUsage
}
