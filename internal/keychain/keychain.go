package keychain

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Store is the keychain as the rest of the app sees it. Keys are short names chosen by the app
// ("atlassian/scim-key/<directory>"); values are secrets that never leave the process except
// into the keychain. Get of an absent item returns apperr.SecretMissing.
type Store interface {
	Set(ctx context.Context, key, secret string) error
	Get(ctx context.Context, key string) (string, error)
	Delete(ctx context.Context, key string) error
}

// Backend is go-keyring's shape (keyring.Set/Get/Delete); tests inject a fake one to make the
// keychain hang or fail without touching the real one.
type Backend interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// goKeyring forwards to the package-level functions of go-keyring, which pick the platform's
// keychain at init time.
type goKeyring struct{}

func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// DefaultService is the service name every item is filed under.
const DefaultService = "idpsync"

// DefaultTimeout bounds one keychain call. The Secret Service answers in 5–10 ms when unlocked;
// the bound exists for the locked-with-a-prompt case, where a person may still be typing the
// keyring password, so it is generous.
const DefaultTimeout = 20 * time.Second

// MaxItemSize is the largest secret one item takes on every platform: Windows Credential
// Manager refuses more than 2,560 bytes. It is enforced on all platforms so that development
// on Linux (where the Secret Service takes megabytes) catches what Windows would refuse.
const MaxItemSize = 2560

// Options configure an OS store. The zero value is the real keychain with the defaults.
type Options struct {
	Service string        // "" → DefaultService
	Timeout time.Duration // 0 → DefaultTimeout
	Backend Backend       // nil → go-keyring (the OS keychain)
}

// OS is the Store over the operating system's keychain.
type OS struct {
	service string
	timeout time.Duration
	backend Backend
	// gate lets one call reach the keychain at a time. A call that hangs keeps the gate, so the
	// next callers time out instead of piling up goroutines behind a keychain that does not answer.
	gate chan struct{}
}

// New returns the OS keychain store.
func New(o Options) *OS {
	if o.Service == "" {
		o.Service = DefaultService
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Backend == nil {
		o.Backend = goKeyring{}
	}
	return &OS{service: o.Service, timeout: o.Timeout, backend: o.Backend, gate: make(chan struct{}, 1)}
}

// Set stores secret under key, replacing any previous value.
func (s *OS) Set(ctx context.Context, key, secret string) error {
	if err := checkItem(key, secret); err != nil {
		return err
	}
	_, err := s.call(ctx, "store", key, func() (string, error) { return "", s.backend.Set(s.service, key, secret) })
	return err
}

// Get returns the secret stored under key, or apperr.SecretMissing.
func (s *OS) Get(ctx context.Context, key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return s.call(ctx, "read", key, func() (string, error) { return s.backend.Get(s.service, key) })
}

// Delete removes the item; deleting an absent item is not an error.
func (s *OS) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.call(ctx, "delete", key, func() (string, error) { return "", s.backend.Delete(s.service, key) })
	if apperr.CodeOf(err) == apperr.SecretMissing {
		return nil
	}
	return err
}

type result struct {
	val string
	err error
}

// call runs fn in its own goroutine because go-keyring cannot be interrupted: when the time is
// up the caller gets KeychainTimeout and the goroutine is left to finish (or not) on its own.
func (s *OS) call(ctx context.Context, verb, key string, fn func() (string, error)) (string, error) {
	if err := preflight(); err != nil {
		return "", err
	}
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case s.gate <- struct{}{}:
	case <-ctx.Done():
		return "", apperr.Wrap(ctx.Err(), apperr.Canceled, "keychain %s of %q canceled", verb, key)
	case <-timer.C:
		return "", timeoutError(verb, key, s.timeout, true)
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-s.gate }()
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.val, mapError(r.err, verb, key)
	case <-ctx.Done():
		return "", apperr.Wrap(ctx.Err(), apperr.Canceled, "keychain %s of %q canceled", verb, key)
	case <-timer.C:
		return "", timeoutError(verb, key, s.timeout, false)
	}
}

func timeoutError(verb, key string, d time.Duration, earlier bool) error {
	msg := fmt.Sprintf("the keychain did not answer within %s (%s of %q)", d, verb, key)
	if earlier {
		msg = fmt.Sprintf("the keychain is still busy with an earlier request that has not answered for %s (%s of %q waited)", d, verb, key)
	}
	return apperr.New(apperr.KeychainTimeout, "%s", msg).WithAction(timeoutRemedy(runtime.GOOS))
}

// mapError turns go-keyring's errors into stable codes. The messages carry the key's name and
// the platform's error text, never the secret.
func mapError(err error, verb, key string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return apperr.Wrap(err, apperr.SecretMissing, "no keychain item %q", key)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return apperr.Wrap(err, apperr.Internal, "the secret for %q is too big for a keychain item on this platform", key)
	}
	return apperr.Wrap(err, apperr.KeychainUnavailable, "the keychain refused to %s %q", verb, key).
		WithAction(unavailableRemedy(runtime.GOOS, err.Error()))
}

// unavailableRemedy is the advice for a keychain that cannot be used, per platform.
func unavailableRemedy(goos, detail string) string {
	switch goos {
	case "windows":
		return "Windows Credential Manager is not usable for this account. Run IdP Sync as a signed-in user with a loaded profile (not a service account without one) and check that the Credential Manager service is running."
	case "darwin":
		return "The macOS login keychain is not usable. Unlock it in Keychain Access (or sign in again to macOS) and allow IdP Sync when macOS asks."
	}
	d := strings.ToLower(detail)
	switch {
	case strings.Contains(d, "unlock"):
		return "The login keyring is locked. Unlock it (Passwords and Keys / Seahorse, or your desktop's prompt) and try again."
	case strings.Contains(d, "org.freedesktop.secrets"):
		return "No Secret Service is running. Install and start gnome-keyring or KWallet (org.freedesktop.secrets) in your desktop session."
	}
	return "No D-Bus session with an unlocked Secret Service keyring (gnome-keyring or KWallet) is available. Run IdP Sync in a desktop session, or on a headless machine inside `dbus-run-session` with `gnome-keyring-daemon --unlock --components=secrets`."
}

func timeoutRemedy(goos string) string {
	switch goos {
	case "windows":
		return "Windows Credential Manager did not answer. Try again; if it keeps happening, restart the Credential Manager service."
	case "darwin":
		return "The macOS keychain is probably waiting for you: answer its password prompt (allow IdP Sync), then try again."
	}
	return "The keyring is probably locked and waiting for an unlock prompt that nobody answered. Unlock it (Passwords and Keys / Seahorse, or your desktop's prompt) and try again."
}

// preflight refuses before go-keyring runs when Linux has no session bus at all: godbus would
// otherwise autolaunch a private bus and gnome-keyring that outlive the process (with dbus-x11
// installed), and then fail anyway.
func preflight() error {
	if runtime.GOOS != "linux" {
		return nil
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
			return nil
		}
	}
	return apperr.New(apperr.KeychainUnavailable, "no D-Bus session bus, so no Secret Service keyring is reachable").
		WithAction(unavailableRemedy("linux", ""))
}

func checkKey(key string) error {
	if key == "" || len(key) > 200 || strings.ContainsAny(key, "\x00\n\r") {
		return apperr.New(apperr.InvalidInput, "invalid keychain item name %q", key)
	}
	return nil
}

func checkItem(key, secret string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(secret) > MaxItemSize {
		// A bug, not the admin's doing: big blobs go through the Envelope.
		return apperr.New(apperr.Internal, "the secret for %q is %d bytes; a keychain item holds at most %d on Windows, so it must go through the encrypted envelope", key, len(secret), MaxItemSize)
	}
	return nil
}
