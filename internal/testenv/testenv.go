// Package testenv says whether the machine has what a test needs beyond Go: a Secret Service
// for the keychain tests, Chromium for the report-page tests. `go test ./...` on a bare machine
// (a laptop without gnome-keyring, Windows, macOS) skips those tests with the reason; `make
// test` sets IDPSYNC_TEST_REQUIRE_ALL=1, under which a missing dependency fails the test
// instead, so CI can never go green by skipping.
package testenv

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// RequireAllVar is the environment variable `make test` sets to turn every skip here into a failure.
const RequireAllVar = "IDPSYNC_TEST_REQUIRE_ALL"

// missing skips t with reason, or fails it when RequireAllVar is set.
func missing(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(RequireAllVar) != "" {
		t.Fatalf("%s (%s is set: `make test` provides this, so a missing dependency is a failure, not a skip)", reason, RequireAllVar)
	}
	t.Skipf("skipped: %s; `make test` provides it", reason)
}

// SecretService skips (or fails, under `make test`) unless the test runs where go-keyring
// reaches a real keychain: a D-Bus session on Linux and the BSDs (build/scripts/with-session.sh
// starts one with an unlocked gnome-keyring). Windows and macOS always have theirs.
func SecretService(t testing.TB) {
	t.Helper()
	switch runtime.GOOS {
	case "windows", "darwin":
		return
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		missing(t, "no D-Bus session, so no Secret Service for the real keychain (run it via build/scripts/with-session.sh)")
	}
}

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// Chromium returns the browser's path, or skips (fails under `make test`) when it is missing.
func Chromium(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err == nil {
		return ChromiumPath
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	missing(t, "Chromium is not installed at "+ChromiumPath+" or on PATH (apt-get install -y chromium)")
	return ""
}
