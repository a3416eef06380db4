// Package version reports which build of IdP Sync is running. The Makefile sets Version and
// Commit at link time (-ldflags -X); a plain `go build` or `go test` reports "dev".
package version

import (
	"runtime/debug"
	"strings"
)

// Version is the release or `git describe` string, set with
// -ldflags "-X github.com/idpsync/idpsync/internal/version.Version=v1.2.3".
var Version = "dev"

// Commit is the git commit the binary was built from, when known.
var Commit = ""

// String returns "Version" or "Version (commit)". When the linker did not set Commit, it falls
// back to the VCS revision Go stamps into binaries built from a git checkout, so a bare
// `go build` still tells two builds apart.
func String() string {
	commit := Commit
	if commit == "" {
		commit = vcsRevision()
	}
	if commit == "" {
		return Version
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return Version + " (" + commit + ")"
}

func vcsRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty && !strings.HasSuffix(rev, "-dirty") {
		rev += "-dirty"
	}
	return rev
}
