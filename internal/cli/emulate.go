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
		Run:     runEmulate,
	})
}

func runEmulate(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int("users", 300, "users in the generated tenant")
	groups := fs.Int("groups", 40, "groups in the generated tenant")
	seed := fs.Uint64("seed", 7, "seed of the generated tenant (same seed, same tenant)")
	noThrottle := fs.Bool("no-throttle", false, "turn Graph's throttling off")
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
