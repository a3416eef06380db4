package adapter

import (
	"context"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/atlassian"
	"github.com/idpsync/idpsync/internal/store"
)

// A directory's second run starts at the rate its first run learned, not at the default slow
// start; another directory's lesson is not taken.
func TestRunsStartFromTheDirectorysLearnedRate(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range []string{"a", "b"} {
		if err := st.CreateDirectory(ctx, store.Directory{ID: id, Name: id, Cloud: "global", ClientID: "c", SCIMBaseURL: "https://api.atlassian.com/scim/directory/" + id}); err != nil {
			t.Fatal(err)
		}
	}
	first := atlassian.NewLimiter(LearnedPacing(ctx, st, "a", atlassian.LimiterConfig{}))
	if r := first.Stats().Rate; r != 50 {
		t.Fatalf("a first run starts at %v/s, want the default 50", r)
	}
	// The service's headers say 400 per second: the run learns it.
	first.Observe(atlassian.RateHeaders{Limit: 400, Remaining: 300, Reset: timeAt(1)}, false)
	first.Observe(atlassian.RateHeaders{Limit: 400, Remaining: 300, Reset: timeAt(2)}, false)
	second := atlassian.NewLimiter(LearnedPacing(ctx, st, "a", atlassian.LimiterConfig{}))
	if st := second.Stats(); st.Rate != 380 || st.Limit != 400 {
		t.Fatalf("a's second run: %+v, want 380/s under the learned 400/s", st)
	}
	if r := atlassian.NewLimiter(LearnedPacing(ctx, st, "b", atlassian.LimiterConfig{})).Stats().Rate; r != 50 {
		t.Fatalf("b took a's rate: %v/s", r)
	}
}

func timeAt(s int) time.Time { return time.Date(2026, 12, 3, 6, 0, s, 0, time.UTC) }
