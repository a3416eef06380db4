package graph_test

import (
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/emulator/emutest"
	"github.com/idpsync/idpsync/internal/emulator/graph"
	"github.com/idpsync/idpsync/internal/emulator/tenant"
)

// As the Atlassian emulator's: a request whose client goes away during the emulated latency
// gets no answer, not the empty 200 that a reader still reading took for a page.
func TestAbandonedRequestGetsNoAnswer(t *testing.T) {
	s := emutest.Graph(t, graph.Options{Tenant: tenant.Generate(tenant.Spec{Seed: 5, Users: 20, Groups: 2}), Latency: time.Minute})
	if got := emutest.Abandoned(t, s.URL()+"/v1.0/users", "Authorization: Bearer t"); len(got) > 0 {
		t.Fatalf("an abandoned request was answered: %q", got)
	}
}
