package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/config"
	"github.com/idpsync/idpsync/internal/report"
)

func init() {
	Register(Command{
		Name:    "report",
		Usage:   "idpsync report show FILE [--json] | export FILE --format html|csv|json [--gzip] [--pseudonymize [--keep-domains]] [--out PATH] | diff A B [--json] [--limit N]",
		Summary: "show, export or compare sync reports (JSON, gzip or HTML report files)",
		Subs: []Sub{
			{Name: "show", Args: "FILE [--json]", Flags: func(fs *flag.FlagSet) { new(reportArgs).show(fs) },
				Text: "Print a report's summary: run, tenant, confirmed domains, settings, timings, counts in\nthe app's words."},
			{Name: "export", Args: "FILE --format html|csv|json [--gzip] [--pseudonymize [--keep-domains]] [--out PATH]", Flags: func(fs *flag.FlagSet) { new(reportArgs).export(fs) },
				Text: `Convert a report. html: one self-contained file to open in any browser, offline.
csv: a folder with operations.csv and skips.csv. json: the canonical form (--gzip to compress).`},
			{Name: "diff", Args: "A B [--json] [--limit N]", Flags: func(fs *flag.FlagSet) { new(reportArgs).diff(fs) },
				Text: "What changed between two runs, per user and group."},
		},
		Notes: "\nFILE may be a .json, .json.gz or an .html report written by IdP Sync.\n",
		Run:   runReport,
	})
}

// reportArgs are the flags of report's subcommands, each defining its own.
type reportArgs struct {
	asJSON, gz, pseudo, keep bool
	format, out              string
	limit                    int
}

func (a *reportArgs) show(fs *flag.FlagSet) {
	fs.BoolVar(&a.asJSON, "json", false, `print the summary as JSON: {"version":1,"kind":"report","report":{…}}`)
}

func (a *reportArgs) export(fs *flag.FlagSet) {
	fs.StringVar(&a.format, "format", "", "the `FORMAT`: html, csv or json")
	fs.BoolVar(&a.gz, "gzip", false, "gzip the json")
	fs.BoolVar(&a.pseudo, "pseudonymize", false, "replace names and emails with stable pseudonyms for sharing (emails become @example.invalid)")
	fs.BoolVar(&a.keep, "keep-domains", false, "with --pseudonymize, keep the email domains")
	fs.StringVar(&a.out, "out", "", "the output file (a folder for csv) `PATH`; default: beside FILE, named after it")
}

func (a *reportArgs) diff(fs *flag.FlagSet) {
	fs.BoolVar(&a.asJSON, "json", false, `print the comparison as JSON: {"version":1,"kind":"diff","diff":{…}}`)
	fs.IntVar(&a.limit, "limit", 200, "the `N` objects to print (0 = all)")
}

// parseInterspersed parses flags that may come before or after the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func reportUsage(stderr io.Writer, msg string) int {
	if msg != "" {
		fmt.Fprintf(stderr, "error [%s]: %s\n", apperr.InvalidInput, msg)
	}
	fmt.Fprint(stderr, helpOf("report"))
	return ExitUsage
}

// reportArgsFail answers the refused arguments of a report subcommand: its help for --help,
// else msg as a usage error.
func reportArgsFail(stdout, stderr io.Writer, err error, msg string) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, helpOf("report"))
		return ExitOK
	}
	return reportUsage(stderr, usageMsg(err, msg))
}

func runReport(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return reportUsage(stderr, "")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("report "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch sub {
	case "show":
		var a reportArgs
		a.show(fs)
		asJSON := &a.asJSON
		pos, err := parseInterspersed(fs, rest)
		if err != nil || len(pos) != 1 {
			return reportArgsFail(stdout, stderr, err, "report show takes one FILE")
		}
		// Streamed: the summary needs no operation held, nor paged.
		sum, err := report.SummarizeFile(pos[0])
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "report", sum))
		}
		if err := report.WriteSummaryText(stdout, sum); err != nil {
			return Fail(stderr, err)
		}
		return ExitOK
	case "export":
		var a reportArgs
		a.export(fs)
		format, gz, pseudo, keep, out := &a.format, &a.gz, &a.pseudo, &a.keep, &a.out
		pos, err := parseInterspersed(fs, rest)
		if err != nil || len(pos) != 1 {
			return reportArgsFail(stdout, stderr, err, "report export takes one FILE")
		}
		f := strings.ToLower(*format)
		if f != "html" && f != "csv" && f != "json" {
			return reportUsage(stderr, "--format must be html, csv or json")
		}
		if *keep && !*pseudo {
			return reportUsage(stderr, "--keep-domains needs --pseudonymize")
		}
		dst := *out
		if dst == "" {
			dst = report.DefaultOut(pos[0], f, *gz)
		}
		files, err := report.ExportFile(pos[0], report.ExportOptions{Format: f, Gzip: *gz, Pseudonymize: *pseudo, KeepDomains: *keep, Out: dst})
		if err != nil {
			return Fail(stderr, err)
		}
		for _, p := range files {
			fmt.Fprintln(stdout, p)
		}
		return ExitOK
	case "diff":
		var fa reportArgs
		fa.diff(fs)
		asJSON, limit := &fa.asJSON, &fa.limit
		pos, err := parseInterspersed(fs, rest)
		if err != nil || len(pos) != 2 {
			return reportArgsFail(stdout, stderr, err, "report diff takes two files, A and B")
		}
		a, err := report.OpenView(pos[0])
		if err != nil {
			return Fail(stderr, err)
		}
		defer a.Close()
		b, err := report.OpenView(pos[1])
		if err != nil {
			return Fail(stderr, err)
		}
		defer b.Close()
		d, err := report.DiffViews(a, b)
		if err != nil {
			return Fail(stderr, err)
		}
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "diff", d))
		}
		if err := report.WriteDiffText(stdout, d, *limit); err != nil {
			return Fail(stderr, err)
		}
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, helpOf("report"))
		return ExitOK
	}
	return reportUsage(stderr, fmt.Sprintf("unknown report command %q", sub))
}

func usageMsg(err error, fallback string) string {
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return err.Error()
	}
	return fallback
}
