package sync

import (
	"context"
	"testing"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// An operation that keeps failing is tried applyAttempts times with a wait between attempts and
// none after the last: a wait there only delays the failure (it cost 4 s per failed operation).
func TestRetryTransientWaitsOnlyBetweenAttempts(t *testing.T) {
	var waits []time.Duration
	after := func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
	calls := 0
	err := retryTransient(context.Background(), applyAttempts, func() error {
		calls++
		return apperr.New(apperr.AtlassianUnavailable, "503")
	}, after)
	if apperr.CodeOf(err) != apperr.AtlassianUnavailable || calls != applyAttempts {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}

	// A permanent error is not retried; a transient one that clears is.
	calls, waits = 0, nil
	if err := retryTransient(context.Background(), applyAttempts, func() error {
		calls++
		return apperr.New(apperr.AtlassianRejected, "400")
	}, after); apperr.CodeOf(err) != apperr.AtlassianRejected || calls != 1 || len(waits) != 0 {
		t.Fatalf("permanent error: %v, %d calls, waits %v", err, calls, waits)
	}
	calls = 0
	if err := retryTransient(context.Background(), applyAttempts, func() error {
		calls++
		if calls < 3 {
			return apperr.New(apperr.AtlassianThrottled, "429")
		}
		return nil
	}, after); err != nil || calls != 3 {
		t.Fatalf("transient then ok: %v after %d calls", err, calls)
	}
}
