package version

import (
	"strings"
	"testing"
)

func TestStringUsesLinkerValues(t *testing.T) {
	oldV, oldC := Version, Commit
	t.Cleanup(func() { Version, Commit = oldV, oldC })

	Version, Commit = "v1.2.3", "0123456789abcdef0123"
	if got, want := String(), "v1.2.3 (0123456789ab)"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	Version, Commit = "v1.2.3", "abc"
	if got, want := String(), "v1.2.3 (abc)"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

func TestStringDefaultsToDev(t *testing.T) {
	oldV, oldC := Version, Commit
	t.Cleanup(func() { Version, Commit = oldV, oldC })
	Version, Commit = "dev", ""
	// A test binary carries no VCS stamp, so the result is exactly the version.
	if got := String(); !strings.HasPrefix(got, "dev") {
		t.Fatalf("String() = %q, want it to start with dev", got)
	}
}
