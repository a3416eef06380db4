package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/version"
)

func init() {
	std.register(helpCommand(std))
	std.register(versionCommand())
}

// helpCommand is bound to a registry so that it lists that registry's commands.
func helpCommand(r *registry) Command {
	c := Command{
		Name:    "help",
		Usage:   "idpsync help [command]",
		Summary: "Show the commands, or one command's usage",
	}
	c.Run = func(_ context.Context, _ config.Config, args []string, stdout, stderr io.Writer) int {
		switch len(args) {
		case 0:
			r.usage(stdout)
			return ExitOK
		case 1:
			target, ok := r.lookup(args[0])
			if !ok {
				fmt.Fprintf(stderr, "idpsync: unknown command %q\n\n", args[0])
				r.usage(stderr)
				return ExitUsage
			}
			fmt.Fprintf(stdout, "usage: %s\n\n%s\n%s", target.Usage, target.Summary, target.help())
			return ExitOK
		default:
			return UsageError(stderr, c, "help takes at most one command name")
		}
	}
	return c
}

func versionCommand() Command {
	c := Command{
		Name:    "version",
		Usage:   "idpsync version",
		Summary: "Print the version of this build",
	}
	c.Run = func(_ context.Context, _ config.Config, args []string, stdout, stderr io.Writer) int {
		if len(args) != 0 {
			return UsageError(stderr, c, "version takes no arguments")
		}
		fmt.Fprintf(stdout, "idpsync %s\n", version.String())
		return ExitOK
	}
	return c
}
