// IdP Sync syncs Microsoft Entra ID users and nested groups into an Atlassian organization.
// Run without arguments it opens the desktop app; with arguments it runs a subcommand
// (idpsync help lists them), so an OS scheduler can run syncs headless.
package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/logger"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"github.com/idpsync/idpsync/app"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/cli"
	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/demomode"
	"github.com/idpsync/idpsync/internal/version"
)

// The frontend build output. A fresh clone holds only frontend/dist/.gitkeep, which keeps
// `go build`/`go test` working before the frontend is built (the window is then blank).
//
//go:embed all:frontend/dist
var assets embed.FS

func main() {
	// The one read of the process's environment (internal/config); everything below gets cfg.
	cfg := config.FromEnv(os.LookupEnv)
	if args := os.Args[1:]; len(args) > 0 && !isLaunchServicesArg(args[0]) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, cfg, args, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	if err := runGUI(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "idpsync: the window could not start: %v\n", err)
		os.Exit(1)
	}
}

// isLaunchServicesArg spots the -psn_ argument older macOS versions pass to apps started from
// Finder, which must open the GUI, not be taken for a command.
func isLaunchServicesArg(a string) bool { return strings.HasPrefix(a, "-psn_") }

// startDemo is the demo tenant of `make demo` (IDPSYNC_DEMO=1), wired in internal/demomode.
func startDemo(cfg config.Config) func(context.Context, backend.Emitter) (*backend.Backend, app.DemoTenant, error) {
	return func(ctx context.Context, em backend.Emitter) (*backend.Backend, app.DemoTenant, error) {
		s, err := demomode.StartGUI(ctx, cfg, em)
		if err != nil {
			return nil, nil, err
		}
		return s.Backend, s, nil
	}
}

func runGUI(cfg config.Config) error {
	services := app.New(app.Options{Config: cfg, StartDemo: startDemo(cfg)})
	return wails.Run(&options.App{
		Title:     app.ProductName,
		Width:     1280,
		Height:    800,
		MinWidth:  960,
		MinHeight: 640,
		AssetServer: &assetserver.Options{
			Assets: assets,
		},
		// Matches the light surface token, so the window does not flash another colour before
		// React paints; the dark theme repaints it at once.
		BackgroundColour: &options.RGBA{R: 255, G: 255, B: 255, A: 255},
		OnStartup:        services.Startup,
		OnShutdown:       services.Shutdown,
		Bind:             services.Bind(),
		EnumBind:         app.Enums(),
		ErrorFormatter:   app.FormatError,
		LogLevel:         logger.WARNING,
		Windows: &windows.Options{
			Theme: windows.SystemDefault,
		},
		Mac: &mac.Options{
			About: &mac.AboutInfo{
				Title:   app.ProductName + " " + version.Version,
				Message: "Syncs Microsoft Entra ID users and nested groups into an Atlassian organization.",
			},
		},
		Linux: &linux.Options{
			ProgramName: "idpsync",
		},
	})
}
