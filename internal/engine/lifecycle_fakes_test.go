package engine

import (
	"context"
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
)

// memLock is a directory lock that refuses a second holder and counts releases.
type memLock struct {
	mu       sync.Mutex
	held     bool
	taken    int
	released int
}

func (l *memLock) TryLock(_ context.Context, dirID, purpose string) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return nil, apperr.New(apperr.SyncLocked, "another sync of this directory is running")
	}
	l.held = true
	l.taken++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.held = false
			l.released++
		})
	}, nil
}
