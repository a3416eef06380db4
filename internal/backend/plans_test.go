package backend

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/report"
)

// A preview the admin abandons releases its plan (hundreds of megabytes for a large directory)
// when it expires or when the directory's page closes, not at the next preview or apply.
func TestAbandonedPreviewsReleaseTheirPlans(t *testing.T) {
	t.Parallel() // its own demo world and home; it waits on the emulators, pacing and fsyncs
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, b, d, _ := demoWithProgress(ctx, t, 30, 5)
	var mu sync.Mutex
	now := time.Now()
	b.opts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(dt time.Duration) { mu.Lock(); now = now.Add(dt); mu.Unlock() }
	held := func(id string) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		pe := b.plans[id]
		return pe != nil && pe.plan != nil
	}

	p, page := previewPage(ctx, t, b, d.ID, report.Query{Limit: 10})
	if page.Total != p.Operations || p.Operations == 0 {
		t.Fatalf("a fresh preview's operations: %d of %d", page.Total, p.Operations)
	}
	advance(PlanTTL - time.Minute)
	b.releaseExpired()
	if !held(p.PlanID) {
		t.Fatal("a preview younger than its expiry lost its plan")
	}
	advance(2 * time.Minute)
	b.releaseExpired()
	if held(p.PlanID) {
		t.Fatal("an expired preview still holds its plan")
	}
	if _, err := b.plan(p.PlanID); apperr.CodeOf(err) != apperr.ConfirmationRequired {
		t.Fatalf("an expired preview: %v, want %s (older than %v)", err, apperr.ConfirmationRequired, PlanTTL)
	}

	q, err := b.Preview(ctx, d.ID, PreviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !held(q.PlanID) {
		t.Fatal("a new preview holds no plan")
	}
	b.ReleasePreviews(d.ID)
	if held(q.PlanID) {
		t.Fatal("closing the directory kept its preview's plan")
	}
	if _, err := b.plan(q.PlanID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("a closed directory's preview: %v, want %s", err, apperr.NotFound)
	}
}
