package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
)

func init() {
	Register(Command{
		Name:    "alerts",
		Usage:   "idpsync alerts show|test|set-webhook|remove-webhook --directory NAME",
		Summary: "alerts of scheduled syncs: the last one, a test, and the Teams or Slack webhook URL (kept in the keychain)",
		Subs: []Sub{
			{Name: "show", Args: "--directory NAME [--json]", Text: "The last alert: a scheduled or automatic sync that failed, partly failed or was blocked."},
			{Name: "set-webhook", Args: "--directory NAME", Text: `Read an incoming-webhook URL (Microsoft Teams or Slack; https) from the first line of
standard input, or from IDPSYNC_WEBHOOK_URL, and keep it in the OS keychain. Alerts are
then also POSTed there as JSON: {"text": "…", "version": 1, "idpsync": {…}}.`},
			{Name: "remove-webhook", Args: "--directory NAME"},
			{Name: "test", Args: "--directory NAME [--json]", Text: "Send a test alert to the desktop and the webhook; exit 1 if a channel failed."},
		},
		Flags: func(fs *flag.FlagSet) { new(alertsArgs).register(fs) },
		Notes: "Every alert is also a desktop notification of the signed-in user's session.\n",
		Run:   runAlerts,
	})
}

// alertsArgs are the flags of every alerts subcommand.
type alertsArgs struct {
	dir     string
	asJSON  bool
	refused func() error
}

func (a *alertsArgs) register(fs *flag.FlagSet) {
	fs.StringVar(&a.dir, "directory", "", "the directory `NAME` (any case) or id")
	fs.BoolVar(&a.asJSON, "json", false, "show, test: print one JSON document on stdout instead of words")
	a.refused = secretFlags(fs, "Pipe the URL into alerts set-webhook, or set IDPSYNC_WEBHOOK_URL.", "url")
}

func runAlerts(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	var fa alertsArgs
	p, code, ok := parseDirSub("alerts", "alerts needs show, test, set-webhook or remove-webhook", args, fa.register, &fa.dir, stdout, stderr)
	if !ok {
		return code
	}
	if err := fa.refused(); err != nil {
		Fail(stderr, err)
		return ExitUsage
	}
	sub, dir, asJSON := p.sub, &fa.dir, &fa.asJSON
	b, d, code, ok := openDirectory(ctx, cfg, *dir, nil, stdout, stderr, *asJSON)
	if !ok {
		return code
	}
	defer b.Close()
	switch sub {
	case "show":
		a, err := b.LastAlert(ctx, d.ID)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		hook, _ := b.HasWebhook(ctx, d.ID)
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "alerts", struct {
				Last    *backend.Alert `json:"last"`
				Webhook bool           `json:"webhook"`
			}{a, hook}))
		}
		if a == nil {
			fmt.Fprintf(stdout, "No alert for %q.\n", d.Name)
		} else {
			printAlert(stdout, *a)
		}
		fmt.Fprintf(stdout, "Webhook: %s\n", map[bool]string{true: "set (in the keychain)", false: "none"}[hook])
		return ExitOK
	case "set-webhook":
		var sr secretReader
		url, err := sr.secret(!envSet("IDPSYNC_WEBHOOK_URL"), "IDPSYNC_WEBHOOK_URL", "webhook URL")
		if err != nil {
			return Fail(stderr, err)
		}
		if err := b.SetWebhook(ctx, d.ID, url); err != nil {
			return Fail(stderr, err)
		}
		fmt.Fprintf(stdout, "Alerts of %q will also be posted to the webhook. Try it: idpsync alerts test --directory %s\n", d.Name, shellQuote(d.Name))
		return ExitOK
	case "remove-webhook":
		if err := b.SetWebhook(ctx, d.ID, ""); err != nil {
			return Fail(stderr, err)
		}
		fmt.Fprintf(stdout, "No webhook for %q any more.\n", d.Name)
		return ExitOK
	}
	a, err := b.TestAlert(ctx, d.ID)
	if err != nil {
		return failDoc(stdout, stderr, *asJSON, err)
	}
	if *asJSON {
		if err := writeJSON(stdout, "alert", a); err != nil {
			return Fail(stderr, err)
		}
	} else {
		fmt.Fprintf(stdout, "Test alert delivered to: %s\n", orDefault(strings.Join(a.Delivered, ", "), "nothing"))
		for _, e := range a.Errors {
			fmt.Fprintf(stdout, "  not delivered: %s\n", e)
		}
	}
	if len(a.Errors) > 0 {
		return ExitFailure
	}
	return ExitOK
}

func printAlert(w io.Writer, a backend.Alert) {
	fmt.Fprintf(w, "Last alert (%s): %s\n  %s\n", a.At, a.Title(), a.Text())
	if a.ReportPath != "" {
		fmt.Fprintf(w, "  report: %s\n", a.ReportPath)
	}
	fmt.Fprintf(w, "  delivered to: %s\n", orDefault(strings.Join(a.Delivered, ", "), "nothing"))
	for _, e := range a.Errors {
		fmt.Fprintf(w, "  not delivered: %s\n", e)
	}
}
