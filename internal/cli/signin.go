package cli

import (
	"context"
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
		Run:     runSignIn,
	})
	Register(Command{
		Name:    "signout",
		Usage:   "idpsync signout --directory NAME",
		Summary: "sign out of Microsoft for a directory and remove its cached tokens from the keychain",
		Run:     runSignOut,
	})
}

const signinHelp = `Usage: idpsync signin --directory NAME [--device-code | --browser] [--json]
  --device-code  print a code to enter at Microsoft's device login page, from any device (the
                 default where no desktop session is found: SSH, servers, containers)
  --browser      open Microsoft's sign-in in the system browser (the default on a desktop)
The app registration must allow public client flows for the device code (README, "Register the
app in Entra ID"). The tokens go to the OS keychain, where the scheduled syncs find them.
`

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
	fs := newFlags("signin")
	dir := fs.String("directory", "", "")
	device := fs.Bool("device-code", false, "")
	browser := fs.Bool("browser", false, "")
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil {
		return usageFail(stderr, signinHelp, "%s", usageMsg(err, "bad arguments"))
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
	b, d, err := withDirectory(ctx, cfg, *dir, &deviceCodePrinter{w: codeOut}, backend.Endpoints{})
	if err != nil {
		return failDoc(stdout, stderr, *asJSON, err)
	}
	defer b.Close()
	var a backend.Account
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
	fs := newFlags("signout")
	dir := fs.String("directory", "", "")
	if err := fs.Parse(args); err != nil || *dir == "" || fs.NArg() > 0 {
		return usageFail(stderr, "Usage: idpsync signout --directory NAME\n", "signout needs --directory NAME")
	}
	b, d, err := withDirectory(ctx, cfg, *dir, nil, backend.Endpoints{})
	if err != nil {
		return Fail(stderr, err)
	}
	defer b.Close()
	if err := b.SignOut(ctx, d.ID); err != nil {
		return Fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Signed out of directory %q; its tokens are no longer in the keychain.\n", d.Name)
	return ExitOK
}
