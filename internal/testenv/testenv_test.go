package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A missing dependency skips a plain `go test` and fails under make test's RequireAllVar. Run
// in a child process so the failure can be observed.
func TestMissingSkipsOrFails(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "" {
		missing(t, "a dependency this child pretends is absent")
		t.Log("reached past the check")
		return
	}
	for _, tc := range []struct {
		name, requireAll, want string
		fail                   bool
	}{
		{"plain go test skips", "", "--- SKIP", false},
		{"make test fails", "1", "--- FAIL", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissingSkipsOrFails$", "-test.v")
			cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", RequireAllVar+"="+tc.requireAll)
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.fail {
				t.Fatalf("exit error %v, want failure %v:\n%s", err, tc.fail, out)
			}
			if !strings.Contains(string(out), tc.want) || strings.Contains(string(out), "reached past the check") {
				t.Fatalf("want %q and no pass-through:\n%s", tc.want, out)
			}
		})
	}
}
