package keychain

import (
	"context"
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
)

// Memory is a Store that keeps secrets in this process only. It exists for demo mode (whose
// secrets are the emulators' and die with the process) and for other packages' tests. It is never
// a fallback for a keychain that does not work: the backend chooses it only in demo mode.
// It enforces the same item rules as the OS store, so code tested against it also fits Windows.
type Memory struct {
	mu    sync.Mutex
	items map[string]string
}

// NewMemory returns an empty in-process store (demo mode and tests only).
func NewMemory() *Memory { return &Memory{items: map[string]string{}} }

func (m *Memory) Set(ctx context.Context, key, secret string) error {
	if err := ctx.Err(); err != nil {
		return apperr.Wrap(err, apperr.Canceled, "keychain store of %q canceled", key)
	}
	if err := checkItem(key, secret); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[key] = secret
	return nil
}

func (m *Memory) Get(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", apperr.Wrap(err, apperr.Canceled, "keychain read of %q canceled", key)
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[key]
	if !ok {
		return "", apperr.New(apperr.SecretMissing, "no keychain item %q", key)
	}
	return v, nil
}

func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return apperr.Wrap(err, apperr.Canceled, "keychain delete of %q canceled", key)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, key)
	return nil
}

// Len is the number of items held (for tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}
