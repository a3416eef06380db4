package auth

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"

	"github.com/idpsync/idpsync/internal/keychain"
)

// sealedCache is MSAL's cache.ExportReplace over the keychain envelope: MSAL calls Replace
// before each operation and Export after each token write, with the whole cache as an opaque
// blob (6–10 KB with real tokens, too big for a Windows or macOS keychain item).
type sealedCache struct {
	env  *keychain.Envelope
	name string
	// lost is set when a sealed cache existed but could not be opened (its key is gone or does
	// not match): the next "not signed in" error says why.
	lost atomic.Bool
	// size is the last exported blob's length, for diagnostics and the size measurement.
	size atomic.Int64
}

var emptyCache = []byte("{}")

func (s *sealedCache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	blob, err := s.env.Load(ctx, s.name)
	switch {
	case err == nil:
		if uerr := u.Unmarshal(blob); uerr != nil {
			// Decrypted but not MSAL's JSON: only a bug writes that; start clean.
			s.lost.Store(true)
			return u.Unmarshal(emptyCache)
		}
		return nil
	case errors.Is(err, keychain.ErrNotSealed):
		// Also resets what this process holds when another process signed out.
		return u.Unmarshal(emptyCache)
	case errors.Is(err, keychain.ErrUnreadable):
		s.lost.Store(true)
		return u.Unmarshal(emptyCache)
	}
	return err // keychain unavailable, timed out or canceled: the operation fails with that code
}

func (s *sealedCache) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	blob, err := m.Marshal()
	if err != nil {
		return err
	}
	s.size.Store(int64(len(blob)))
	if err := s.env.Save(ctx, s.name, blob); err != nil {
		return err
	}
	s.lost.Store(false)
	return nil
}

func (s *sealedCache) wipe(ctx context.Context) error {
	s.lost.Store(false)
	return s.env.Remove(ctx, s.name)
}
