package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
)

func init() {
	Register(Command{
		Name:    "directory",
		Usage:   "idpsync directory add|list|show|edit|test|remove …",
		Summary: "create, list, show, edit, test or remove an identity-provider directory (what the setup screens do)",
		Subs: []Sub{
			{Name: "add", Args: "--name NAME --client-id ID --scim-url URL [--scim-key-stdin] [fields] [--no-test] [--json]"},
			{Name: "list", Args: "[--json]"},
			{Name: "show", Args: "--directory NAME [--json]"},
			{Name: "edit", Args: "--directory NAME [fields to change] [--no-test] [--json]"},
			{Name: "test", Args: "(--directory NAME | --client-id … --scim-url …) [--scim-key-stdin] [--json]"},
			{Name: "remove", Args: "--directory NAME [--yes]"},
		},
		Flags: func(fs *flag.FlagSet) { new(dirArgs).register(fs) },
		Notes: directoryNotes,
		Run:   runDirectory,
	})
}

const directoryNotes = `
The fields are those of the Add identity provider and Connection screens; edit changes only the
fields given. Advanced endpoints ("" = the cloud's default) are all https.

Secrets never come from the command line. The SCIM API key comes from the first line of standard
input with --scim-key-stdin, else from IDPSYNC_SCIM_API_KEY; the organization API key from the
next line with --org-key-stdin, else from IDPSYNC_ORG_API_KEY. Both go to the OS keychain only.

add and edit run the connection test of the setup screen first and store nothing when a part
fails (--no-test skips it, e.g. to prepare a directory offline). test prints each part and exits
1 when one failed. remove signs out and deletes the directory's keys, settings and history; it
asks first on a terminal, and needs --yes otherwise.
`

// dirArgs are the flags of every directory subcommand; their usage strings are its help.
type dirArgs struct {
	dir                 string
	asJSON, noTest, yes bool
	f                   dirFields
	refused             func() error
}

func (a *dirArgs) register(fs *flag.FlagSet) {
	fs.StringVar(&a.dir, "directory", "", "show, edit, test, remove: the directory `NAME` (any case) or id")
	fs.BoolVar(&a.asJSON, "json", false, "print one JSON document on stdout instead of words")
	fs.BoolVar(&a.noTest, "no-test", false, "add, edit: store without running the connection test first")
	fs.BoolVar(&a.yes, "yes", false, "remove: do not ask (needed when not on a terminal)")
	a.f.register(fs)
	a.refused = secretFlags(fs, "Pass the key on standard input (--scim-key-stdin, --org-key-stdin) or in IDPSYNC_SCIM_API_KEY / IDPSYNC_ORG_API_KEY.",
		"scim-key", "scim-api-key", "org-key", "org-api-key", "api-key", "key", "webhook", "webhook-url-value")
}

// dirFieldFlags are the setup screens' text fields on the command line: each flag, its usage and
// the field of the directory input it sets.
var dirFieldFlags = []struct {
	name, usage string
	field       func(in *backend.DirectoryInput) *string
}{
	{"name", "the directory's `NAME` (edit: the new name)", func(in *backend.DirectoryInput) *string { return &in.Name }},
	{"cloud", "the Microsoft `CLOUD`: global (the default), usgov or china", func(in *backend.DirectoryInput) *string { return &in.Cloud }},
	{"client-id", "Application (client) `ID` of your app registration in Entra", func(in *backend.DirectoryInput) *string { return &in.ClientID }},
	{"tenant", "the sign-in `TENANT` of a single-tenant app registration: its Directory (tenant) ID or a domain verified in the " +
		"tenant (organizations, common and consumers are refused); \"\" for a multi-tenant one", func(in *backend.DirectoryInput) *string { return &in.SignInTenant }},
	{"scim-url", "the directory's SCIM base `URL`, https://api.atlassian.com/scim/directory/{id}", func(in *backend.DirectoryInput) *string { return &in.SCIMBaseURL }},
	{"scim-key-created", "when the SCIM API key was created, `YYYY-MM-DD` (keys expire after a year)", func(in *backend.DirectoryInput) *string { return &in.SCIMKeyCreated }},
	{"org-id", "the Atlassian organization `ID` (optional; needs the organization API key)", func(in *backend.DirectoryInput) *string { return &in.OrgID }},
	{"graph-url", "advanced: Microsoft Graph base `URL`, e.g. https://graph.microsoft.com/v1.0", func(in *backend.DirectoryInput) *string { return &in.GraphURL }},
	{"authority", "advanced: sign-in authority root `URL`, e.g. https://login.microsoftonline.com", func(in *backend.DirectoryInput) *string { return &in.AuthorityURL }},
	{"org-url", "advanced: Atlassian organization API root `URL`, e.g. https://api.atlassian.com", func(in *backend.DirectoryInput) *string { return &in.OrgURL }},
}

// dirFields are the setup screens' fields on the command line: given holds the flags' values,
// of which apply copies only those given.
type dirFields struct {
	given               backend.DirectoryInput
	scimStdin, orgStdin bool
}

func (f *dirFields) register(fs *flag.FlagSet) {
	for _, d := range dirFieldFlags {
		fs.StringVar(d.field(&f.given), d.name, "", d.usage)
	}
	fs.BoolVar(&f.given.AllowCustomHost, "allow-custom-host", false, "allow a SCIM or organization host other than api.atlassian.com (proxy, test)")
	fs.BoolVar(&f.scimStdin, "scim-key-stdin", false, "read the SCIM API key from the first line of standard input")
	fs.BoolVar(&f.orgStdin, "org-key-stdin", false, "read the organization API key from the next line of standard input")
}

// apply copies the flags that were given onto in (for edit: only those, the rest stays).
func (f *dirFields) apply(fs *flag.FlagSet, in *backend.DirectoryInput) {
	fs.Visit(func(fl *flag.Flag) {
		for _, d := range dirFieldFlags {
			if d.name == fl.Name {
				*d.field(in) = *d.field(&f.given)
			}
		}
		if fl.Name == "allow-custom-host" {
			in.AllowCustomHost = f.given.AllowCustomHost
		}
	})
}

// keys reads the keys the flags and environment provide.
func (f *dirFields) keys(in *backend.DirectoryInput) error {
	var sr secretReader
	var err error
	if in.SCIMAPIKey, err = sr.secret(f.scimStdin, "IDPSYNC_SCIM_API_KEY", "SCIM API key"); err != nil {
		return err
	}
	in.OrgAPIKey, err = sr.secret(f.orgStdin, "IDPSYNC_ORG_API_KEY", "organization API key")
	return err
}

func inputOf(d backend.Directory) backend.DirectoryInput {
	return backend.DirectoryInput{Name: d.Name, Cloud: d.Cloud, ClientID: d.ClientID, SCIMBaseURL: d.SCIMBaseURL, OrgID: d.OrgID,
		AllowCustomHost: d.AllowCustomHost, GraphURL: d.GraphURL, AuthorityURL: d.AuthorityURL, OrgURL: d.OrgURL, SignInTenant: d.SignInTenant}
}

func runDirectory(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	var a dirArgs
	p, code, ok := parseSub("directory", "directory needs a subcommand", args, a.register, stdout, stderr)
	if !ok {
		return code
	}
	sub, directoryHelp, fs, pos := p.sub, p.help, p.fs, p.pos
	asJSON, dirName, noTest, yes, f := &a.asJSON, &a.dir, &a.noTest, &a.yes, &a.f
	if err := a.refused(); err != nil {
		Fail(stderr, err)
		return ExitUsage
	}
	if len(pos) == 1 && *dirName == "" && (sub == "show" || sub == "remove" || sub == "edit" || sub == "test") {
		*dirName, pos = pos[0], nil // `idpsync directory show Contoso` reads as well
	}
	if len(pos) > 0 {
		return usageFail(stderr, directoryHelp, "unexpected argument %q", pos[0])
	}
	needDir := func() bool { return *dirName != "" }
	// show, edit and remove act on the one directory --directory names; remove answers in words
	// only, as it always has.
	var b *backend.Backend
	var d backend.Directory
	switch sub {
	case "show", "edit", "remove":
		if !needDir() {
			return usageFail(stderr, directoryHelp, "%s needs --directory NAME", sub)
		}
		if b, d, code, ok = openDirectory(ctx, cfg, *dirName, nil, stdout, stderr, *asJSON && sub != "remove"); !ok {
			return code
		}
		defer b.Close()
	}

	switch sub {
	case "list":
		b, err := openBackend(ctx, cfg, nil, backend.Endpoints{})
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		defer b.Close()
		ds, err := b.ListDirectories(ctx)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "directories", ds))
		}
		if len(ds) == 0 {
			fmt.Fprintln(stdout, "No directory yet. Add one with: idpsync directory add --name NAME …")
			return ExitOK
		}
		printDirectoryTable(stdout, ds)
		return ExitOK

	case "show":
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "directory", d))
		}
		printDirectory(stdout, d)
		return ExitOK

	case "add":
		if *dirName != "" {
			return usageFail(stderr, directoryHelp, "add takes --name, not --directory")
		}
		var in backend.DirectoryInput
		f.apply(fs, &in)
		if strings.TrimSpace(in.Name) == "" || strings.TrimSpace(in.ClientID) == "" || strings.TrimSpace(in.SCIMBaseURL) == "" {
			return usageFail(stderr, directoryHelp, "add needs --name, --client-id and --scim-url")
		}
		if err := f.keys(&in); err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if in.SCIMAPIKey == "" {
			return failDoc(stdout, stderr, *asJSON, apperr.New(apperr.SecretMissing, "the directory's SCIM API key was not given").
				WithAction("Pipe it in with --scim-key-stdin, or set IDPSYNC_SCIM_API_KEY."))
		}
		if strings.TrimSpace(in.OrgID) != "" && in.OrgAPIKey == "" {
			return failDoc(stdout, stderr, *asJSON, apperr.New(apperr.SecretMissing, "--org-id needs the organization API key").
				WithAction("Pipe it in with --org-key-stdin (after the SCIM key), or set IDPSYNC_ORG_API_KEY."))
		}
		b, err := openBackend(ctx, cfg, nil, backend.Endpoints{})
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		defer b.Close()
		if _, err := b.FindDirectory(ctx, in.Name); err == nil {
			return failDoc(stdout, stderr, *asJSON, apperr.New(apperr.InvalidInput, "a directory named %q exists already", strings.TrimSpace(in.Name)).
				WithAction("Choose another name, or change that one with idpsync directory edit."))
		}
		if !*noTest {
			if code, ok := testFirst(ctx, b, "", in, stdout, stderr, *asJSON); !ok {
				return code
			}
		}
		d, err := b.CreateDirectory(ctx, in)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "directory", d))
		}
		fmt.Fprintf(stdout, "Added directory %q. Next: idpsync signin --directory %s\n", d.Name, shellQuote(d.Name))
		return ExitOK

	case "edit":
		in := inputOf(d)
		f.apply(fs, &in)
		if err := f.keys(&in); err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if strings.TrimSpace(in.OrgID) != "" && in.OrgAPIKey == "" && !d.HasOrgKey {
			return failDoc(stdout, stderr, *asJSON, apperr.New(apperr.SecretMissing, "the organization id needs the organization API key, and none is stored").
				WithAction("Pipe it in with --org-key-stdin, or set IDPSYNC_ORG_API_KEY."))
		}
		if !*noTest {
			if code, ok := testFirst(ctx, b, d.ID, in, stdout, stderr, *asJSON); !ok {
				return code
			}
		}
		nd, err := b.UpdateDirectory(ctx, d.ID, in)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if *asJSON {
			return jsonExit(stdout, stderr, writeJSON(stdout, "directory", nd))
		}
		fmt.Fprintf(stdout, "Saved directory %q.\n", nd.Name)
		return ExitOK

	case "test":
		b, err := openBackend(ctx, cfg, nil, backend.Endpoints{})
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		defer b.Close()
		var in backend.DirectoryInput
		id := ""
		if needDir() {
			d, err := b.FindDirectory(ctx, *dirName)
			if err != nil {
				return failDoc(stdout, stderr, *asJSON, err)
			}
			id, in = d.ID, inputOf(d)
		}
		f.apply(fs, &in)
		if err := f.keys(&in); err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if id == "" && (in.SCIMBaseURL == "" || in.SCIMAPIKey == "") {
			return usageFail(stderr, directoryHelp, "test needs --directory NAME, or --scim-url and the SCIM key")
		}
		rep, err := b.TestConnection(ctx, id, in)
		if err != nil {
			return failDoc(stdout, stderr, *asJSON, err)
		}
		if *asJSON {
			if err := writeJSON(stdout, "connection", connectionDoc(rep)); err != nil {
				return Fail(stderr, err)
			}
		} else {
			printConnection(stdout, rep)
		}
		if !rep.OK() {
			return ExitFailure
		}
		return ExitOK

	case "remove":
		if !*yes {
			answers, interactive := promptInput(stderr)
			if !interactive {
				return usageFail(stderr, directoryHelp, "remove deletes the directory's keys, settings and history: pass --yes to confirm")
			}
			fmt.Fprintf(stderr, "Remove directory %q, sign out and delete its keys, settings and sync history? [y/N] ", d.Name)
			line, _ := bufio.NewReader(answers).ReadString('\n')
			if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
				fmt.Fprintln(stderr, "Nothing removed.")
				return ExitFailure
			}
		}
		if err := b.Disconnect(ctx, d.ID); err != nil {
			return Fail(stderr, err)
		}
		fmt.Fprintf(stdout, "Removed directory %q.\n", d.Name)
		return ExitOK
	}
	panic("cli: directory " + sub + " is one of its Subs but has no case") // parseSub admits only the Subs
}

// testFirst runs the setup screen's connection test before add or edit stores anything.
func testFirst(ctx context.Context, b *backend.Backend, id string, in backend.DirectoryInput, stdout, stderr io.Writer, asJSON bool) (int, bool) {
	rep, err := b.TestConnection(ctx, id, in)
	if err != nil {
		return failDoc(stdout, stderr, asJSON, err), false
	}
	if rep.OK() {
		return ExitOK, true
	}
	if !asJSON {
		printConnection(stderr, rep)
	}
	return failDoc(stdout, stderr, asJSON, firstFailure(rep)), false
}

// part is one line of the connection test: the screen's label and the atlassian check.
type part struct {
	Name  string
	Label string
	atlassian.Part
}

// connectionParts lists the report's parts in the screen's order.
func connectionParts(r backend.ConnectionReport) []part {
	return []part{{"scimUrl", "SCIM directory URL", r.SCIMURL}, {"scimKey", "SCIM API key", r.SCIMKey},
		{"orgKey", "Organization API key", r.OrgKey}, {"orgFound", "Organization", r.OrgFound}}
}

// firstFailure is the error of the first failed part, for the refusal of add and edit.
func firstFailure(r backend.ConnectionReport) error {
	for _, p := range connectionParts(r) {
		if !p.OK && !p.Skipped {
			code := p.Code
			if code == "" {
				code = apperr.InvalidInput
			}
			return apperr.New(code, "connection test failed at %s: %s", strings.ToLower(p.Label), p.Message).
				WithAction(strings.TrimSpace(p.Action + " Nothing was stored."))
		}
	}
	return nil
}

// connectionDoc is the --json form of the test: the parts in order, whether all passed, and what
// the SCIM key could read.
func connectionDoc(r backend.ConnectionReport) any {
	type partDoc struct {
		Part    string `json:"part"`
		Label   string `json:"label"`
		Status  string `json:"status"` // ok | failed | skipped
		Code    string `json:"code,omitempty"`
		Message string `json:"message"`
		Action  string `json:"action,omitempty"`
	}
	doc := struct {
		OK        bool        `json:"ok"`
		Parts     []partDoc   `json:"parts"`
		UserCount int         `json:"userCount"`
		Domains   interface{} `json:"domains"`
	}{OK: r.OK(), UserCount: r.UserCount, Domains: r.Domains}
	if r.Domains == nil {
		doc.Domains = []string{}
	}
	for _, p := range connectionParts(r) {
		doc.Parts = append(doc.Parts, partDoc{Part: p.Name, Label: p.Label, Status: partStatus(p.Part), Code: string(p.Code), Message: p.Message, Action: p.Action})
	}
	return doc
}

func partStatus(p atlassian.Part) string {
	switch {
	case p.OK:
		return "ok"
	case p.Skipped:
		return "skipped"
	}
	return "failed"
}

func printConnection(w io.Writer, r backend.ConnectionReport) {
	for _, p := range connectionParts(r) {
		st := map[string]string{"ok": "OK     ", "failed": "FAILED ", "skipped": "skipped"}[partStatus(p.Part)]
		line := fmt.Sprintf("%s  %-22s %s", st, p.Label, p.Message)
		if p.Code != "" {
			line += fmt.Sprintf(" [%s]", p.Code)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
		if !p.OK && !p.Skipped && p.Action != "" {
			fmt.Fprintf(w, "         %s\n", p.Action)
		}
	}
	if r.SCIMKey.OK {
		fmt.Fprintf(w, "The directory holds %d users.\n", r.UserCount)
	}
}

func printDirectoryTable(w io.Writer, ds []backend.Directory) {
	fmt.Fprintf(w, "%-30s %-16s %-24s %s\n", "NAME", "STATUS", "LAST SYNC", "ACCOUNT")
	for _, d := range ds {
		last := "never"
		if d.LastRun != nil {
			last = d.LastRun.Started + " " + d.LastRun.Status
		}
		acct := d.Account
		if acct == "" {
			acct = "(not signed in)"
		}
		fmt.Fprintf(w, "%-30s %-16s %-24s %s\n", d.Name, d.Status, last, acct)
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func printDirectory(w io.Writer, d backend.Directory) {
	fmt.Fprintf(w, "Directory:     %s (id %s)\n", d.Name, d.ID)
	fmt.Fprintf(w, "Status:        %s", d.Status)
	if d.StatusReason != "" {
		fmt.Fprintf(w, ": %s", d.StatusReason)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Cloud:         %s\n", d.Cloud)
	fmt.Fprintf(w, "Client id:     %s\n", d.ClientID)
	if d.SignInTenant != "" {
		fmt.Fprintf(w, "Sign-in tenant: %s\n", d.SignInTenant)
	}
	fmt.Fprintf(w, "Account:       %s\n", orDefault(d.Account, "(not signed in)"))
	if d.TenantID != "" {
		fmt.Fprintf(w, "Tenant:        %s (%s), pinned at the first sync\n", d.TenantName, d.TenantID)
	}
	fmt.Fprintf(w, "SCIM URL:      %s\n", d.SCIMBaseURL)
	key := "missing"
	if d.HasSCIMKey {
		key = "in the keychain, stored " + d.SCIMKeyCreated
		if d.KeyExpiresInDays >= 0 {
			key += fmt.Sprintf(", expires in about %d days", d.KeyExpiresInDays)
		}
	}
	fmt.Fprintf(w, "SCIM API key:  %s\n", key)
	if d.OrgID != "" {
		ok := "missing"
		if d.HasOrgKey {
			ok = "in the keychain"
		}
		fmt.Fprintf(w, "Organization:  %s (API key %s)\n", d.OrgID, ok)
	}
	if d.AllowCustomHost {
		fmt.Fprintln(w, "Custom host:   allowed (the SCIM or organization host is not api.atlassian.com)")
	}
	fmt.Fprintf(w, "Graph URL:     %s\n", orDefault(d.GraphURL, "(the cloud's default)"))
	fmt.Fprintf(w, "Authority:     %s\n", orDefault(d.AuthorityURL, "(the cloud's default)"))
	fmt.Fprintf(w, "Org API URL:   %s\n", orDefault(d.OrgURL, "(default)"))
	if d.LastRun != nil {
		fmt.Fprintf(w, "Last sync:     %s, %s\n", d.LastRun.Started, d.LastRun.Status)
	}
	if d.NextSync != "" {
		fmt.Fprintf(w, "Next sync:     %s (while the app runs)\n", d.NextSync)
	}
	fmt.Fprintf(w, "Synced:        %d users, %d groups, %d domains\n", d.SyncedUsers, d.SyncedGroups, d.SyncedDomains)
}

func jsonExit(stdout, stderr io.Writer, err error) int {
	if err != nil {
		return Fail(stderr, apperr.Wrap(err, apperr.Internal, "write the JSON document"))
	}
	return ExitOK
}

// shellQuote quotes s for the POSIX shell when it needs it (the next command to paste).
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '@' || r == '=' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
