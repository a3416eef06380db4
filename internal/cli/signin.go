package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/idpsync/idpsync/internal/backend"
	"github.com/idpsync/idpsync/internal/config"
)

func init() {
	Register(Command{
		Name:    "signin",
		Usage:   "idpsync signin --directory NAME [--device-code | --browser] [--json]",
		Summary: "sign in to Microsoft for a directory: device code on the terminal, or the system browser",
		Flags:   func(fs *flag.FlagSet) { new(signinArgs).register(fs) },
		Notes: `The app registration must allow public client flows for the device code (README, "Register the
app in Entra ID"). The tokens go to the OS keychain, where the scheduled syncs find them.
`,
		Run: runSignIn,
	})
	Register(Command{
		Name:    "signout",
		Usage:   "idpsync signout --directory NAME",
		Summary: "sign out of Microsoft for a directory and remove its cached tokens from the keychain",
		Flags:   func(fs *flag.FlagSet) { fs.String("directory", "", directoryUsage) },
		Run:     runSignOut,
	})
}

// directoryUsage is the usage of --directory where it names one existing directory.
const directoryUsage = "the directory `NAME` (any case) or id"

// signinArgs are the flags of signin.
type signinArgs struct {
	dir                     string
	device, browser, asJSON bool
}

func (a *signinArgs) register(fs *flag.FlagSet) {
	fs.StringVar(&a.dir, "directory", "", directoryUsage)
	fs.BoolVar(&a.device, "device-code", false, "print a code to enter at Microsoft's device login page, from any device "+
		"(the default where no desktop session is found: SSH, servers, containers)")
	fs.BoolVar(&a.browser, "browser", false, "open Microsoft's sign-in in the system browser (the default on a desktop)")
	fs.BoolVar(&a.asJSON, "json", false, "print the account as one JSON document on stdout (the device code goes to stderr)")
}

// hasDesktop reports whether a system browser can be opened: always on Windows and macOS, on
// other systems only inside a graphical session.
func hasDesktop() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// deviceCodePrinter shows the device code the moment Microsoft issues it.
type deviceCodePrinter struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *deviceCodePrinter) Emit(event string, data any) {
	dc, ok := data.(backend.DeviceCode)
	if !ok || event != backend.EventDeviceCode {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "To sign in, open %s and enter the code %s\n", dc.URL, dc.UserCode)
	if f, ok := p.w.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
}

func runSignIn(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	signinHelp := usageHelp("signin")
	fs := newFlags("signin")
	var fa signinArgs
	fa.register(fs)
	dir, device, browser, asJSON := &fa.dir, &fa.device, &fa.browser, &fa.asJSON
	if err := fs.Parse(args); err != nil {
		return badArgs(stdout, stderr, signinHelp, err)
	}
	if *dir == "" || fs.NArg() > 0 {
		return usageFail(stderr, signinHelp, "signin needs --directory NAME and nothing else")
	}
	if *device && *browser {
		return usageFail(stderr, signinHelp, "choose --device-code or --browser, not both")
	}
	useDevice := *device || (!*browser && !hasDesktop())
	// The device code goes to stderr when stdout carries the JSON document.
	codeOut := stdout
	if *asJSON {
		codeOut = stderr
	}
	b, d, code, ok := openDirectory(ctx, cfg, *dir, &deviceCodePrinter{w: codeOut}, stdout, stderr, *asJSON)
	if !ok {
		return code
	}
	defer b.Close()
	var a backend.Account
	var err error
	if useDevice {
		a, err = b.SignInDeviceCode(ctx, d.ID)
	} else {
		fmt.Fprintln(stderr, "Opening Microsoft's sign-in in your browser…")
		a, err = b.SignIn(ctx, d.ID)
	}
	if err != nil {
		return failDoc(stdout, stderr, *asJSON, err)
	}
	if *asJSON {
		return jsonExit(stdout, stderr, writeJSON(stdout, "account", a))
	}
	fmt.Fprintf(stdout, "Signed in as %s (tenant %s) for directory %q.\n", a.Username, a.TenantID, d.Name)
	return ExitOK
}

func runSignOut(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	help := usageHelp("signout")
	fs := newFlags("signout")
	dir := fs.String("directory", "", directoryUsage)
	if err := fs.Parse(args); err != nil {
		return badArgs(stdout, stderr, help, err)
	}
	if *dir == "" || fs.NArg() > 0 {
		return usageFail(stderr, help, "signout needs --directory NAME")
	}
	b, d, code, ok := openDirectory(ctx, cfg, *dir, nil, stdout, stderr, false)
	if !ok {
		return code
	}
	defer b.Close()
	if err := b.SignOut(ctx, d.ID); err != nil {
		return Fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Signed out of directory %q; its tokens are no longer in the keychain.\n", d.Name)
	return ExitOK
}
