package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/emulator/demo"
	"github.com/idpsync/idpsync/internal/store"
)

func init() {
	Register(Command{
		Name:    "emulate",
		Usage:   "idpsync emulate [--users N] [--groups N] [--seed N] [--no-throttle]",
		Summary: "start the identity, Graph and Atlassian emulators with a generated tenant and print their URLs",
		Flags:   func(fs *flag.FlagSet) { new(emulateArgs).register(fs) },
		Run:     runEmulate,
	})
}

type emulateArgs struct {
	users, groups int
	seed          uint64
	noThrottle    bool
}

func (a *emulateArgs) register(fs *flag.FlagSet) {
	fs.IntVar(&a.users, "users", 300, "`N` users in the generated tenant")
	fs.IntVar(&a.groups, "groups", 40, "`N` groups in the generated tenant")
	fs.Uint64Var(&a.seed, "seed", 7, "seed `N` of the generated tenant: same seed, same tenant")
	fs.BoolVar(&a.noThrottle, "no-throttle", false, "turn Graph's throttling off")
}

func runEmulate(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var a emulateArgs
	a.register(fs)
	users, groups, seed, noThrottle := &a.users, &a.groups, &a.seed, &a.noThrottle
	fs.Usage = func() {
		c, _ := std.lookup("emulate")
		fmt.Fprintf(stderr, "Usage: %s\n%s", c.Usage, c.help())
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return ExitOK
		}
		return ExitUsage
	}
	if *users < 1 || *users > 1_000_000 || *groups < 0 || *groups > 100_000 {
		return UsageError(stderr, Command{Name: "emulate", Usage: "idpsync emulate [--users N] [--groups N]"}, "--users must be 1..1000000 and --groups 0..100000")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	env, err := demo.Start(ctx, demo.Options{Users: *users, Groups: *groups, Seed: *seed, NoThrottle: *noThrottle})
	if err != nil {
		return Fail(stderr, err)
	}
	defer env.Close()
	fmt.Fprint(stdout, env.Describe())
	// The emulators' certificate is generated per start; written out, it lets another process
	// (idpsync plan --graph-url …, curl) trust exactly it, on Linux through SSL_CERT_FILE.
	if home, err := store.Home(cfg.Home); err == nil && os.MkdirAll(home, 0o700) == nil {
		pem := filepath.Join(home, "emulator.pem")
		if err := os.WriteFile(pem, env.Authority.PEM, 0o600); err == nil {
			fmt.Fprintf(stdout, "Certificate %s (e.g. SSL_CERT_FILE=%s); trust it only for the emulators.\n", pem, pem)
		}
	}
	fmt.Fprintf(stdout, "Press Ctrl-C to stop.\n")
	<-ctx.Done()
	return ExitOK
}
