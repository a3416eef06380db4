package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/demo"
)

// answerAfter is the admin at the terminal: before the answer is read, change runs (the tenant
// changes in Entra while the question waits), then the answer is typed.
type answerAfter struct {
	change func()
	answer io.Reader
	asked  bool
}

func (a *answerAfter) Read(p []byte) (int, error) {
	if !a.asked {
		a.asked = true
		if a.change != nil {
			a.change()
		}
	}
	return a.answer.Read(p)
}

// Issue 14 point 6: the terminal's [y/N] approves the plan it showed. When the tenant changes
// between the question and the answer, `idpsync sync` applies nothing and says the plan changed;
// when nothing changed, the yes applies that plan.
func TestIssue14_06_PromptIsBoundToThePreviewedPlan(t *testing.T) {
	oldPrompt, oldStart := promptInput, startDemo
	t.Cleanup(func() { promptInput, startDemo = oldPrompt, oldStart })
	var env *demo.Env
	startDemo = func(ctx context.Context, o demo.Options) (*demo.Env, error) {
		e, err := demo.Start(ctx, o)
		env = e
		return e, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name    string
		change  bool
		code    int
		say     string
		applies bool
	}{
		{"tenant changed before the yes", true, ExitFailure, "[confirmation_required]: the plan changed since it was previewed", false},
		{"nothing changed", false, ExitOK, "Sync succeeded", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("IDPSYNC_HOME", t.TempDir())
			a := &answerAfter{answer: strings.NewReader("y\n")}
			if tc.change {
				a.change = func() { env.Tenant.Mutate(0.05, 14) }
			}
			promptInput = func(io.Writer) (io.Reader, bool) { return a, true }
			var out, errb bytes.Buffer
			code := Run(ctx, []string{"sync", "--demo"}, &out, &errb)
			all := out.String() + errb.String()
			if !a.asked || !strings.Contains(errb.String(), "[y/N]") {
				t.Fatalf("the question was not asked:\n%s", all)
			}
			if code != tc.code || !strings.Contains(all, tc.say) {
				t.Fatalf("exit %d, want %d and %q:\n%s", code, tc.code, tc.say, all)
			}
			if got := len(env.Atlassian.Writes()) > 0; got != tc.applies {
				t.Fatalf("%d writes reached Atlassian, want writes=%v:\n%s", len(env.Atlassian.Writes()), tc.applies, all)
			}
		})
	}
}
