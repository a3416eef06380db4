package atlassian_test

import (
	"testing"
	"time"

	emu "github.com/idpsync/idpsync/internal/emulator/atlassian"
	"github.com/idpsync/idpsync/internal/emulator/emutest"
)

// A request whose client goes away during the emulated latency gets no answer: the handler used
// to return, and net/http then sent an empty 200 that a client still reading took for Atlassian's
// answer (TestCanceled in internal/atlassian saw "decode user: the answer (200, )" about 1 run in
// 20 under load).
func TestAbandonedRequestGetsNoAnswer(t *testing.T) {
	s := emutest.Atlassian(t, emu.Options{Latency: time.Minute})
	if got := emutest.Abandoned(t, s.SCIMURL()+"/Users", "Authorization: Bearer "+s.APIKey()); len(got) > 0 {
		t.Fatalf("an abandoned request was answered: %q", got)
	}
}
