package keychain

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/atomicfile"
)

// Sentinels inside the apperr.SecretMissing errors of the Envelope, for callers that treat
// "nothing was ever sealed" differently from "it was sealed but is gone".
var (
	// ErrNotSealed: there is no sealed file under that name.
	ErrNotSealed = errors.New("nothing sealed under this name")
	// ErrUnreadable: the file exists but its key is missing or does not open it (lost keychain
	// item, another machine's file, tampering). The file has been removed.
	ErrUnreadable = errors.New("sealed file could not be opened with its keychain key")
)

// sealedMagic starts every sealed file: a format version, so a later format can be told apart.
var sealedMagic = []byte("IDPSENV1")

const (
	sealedExt = ".sealed"
	keyPrefix = "envelope/"
	keySize   = 32 // AES-256
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// Envelope seals blobs too big for a keychain item into files under dir, each with its own
// random AES-256-GCM key kept as the keychain item "envelope/<name>". The file's name is bound
// into the ciphertext (additional data), so a file copied or renamed onto another name does not
// open. Keys are cached in memory after the first read: the MSAL cache is read before every token
// operation and the keychain costs a D-Bus round trip each time.
type Envelope struct {
	store Store
	dir   string

	mu   sync.Mutex
	keys map[string][]byte
}

// NewEnvelope seals into dir (created 0700 on first Save) with keys in store.
func NewEnvelope(store Store, dir string) *Envelope {
	return &Envelope{store: store, dir: dir, keys: map[string][]byte{}}
}

// Path is the sealed file of name (for tests and diagnostics; it holds only ciphertext).
func (e *Envelope) Path(name string) string { return filepath.Join(e.dir, name+sealedExt) }

func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return apperr.New(apperr.InvalidInput, "invalid sealed-file name %q (lower-case letters, digits, '.', '_' and '-')", name)
	}
	return nil
}

func aad(name string) []byte { return []byte("idpsync envelope v1\x00" + name) }

// Save seals blob under name, replacing what was there. The file is written to a temporary file
// and renamed, so a crash leaves either the old or the new blob, never half of one.
func (e *Envelope) Save(ctx context.Context, name string, blob []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	key, err := e.key(ctx, name, true)
	if err != nil {
		return err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return apperr.Wrap(err, apperr.Internal, "no randomness for sealing %q", name)
	}
	out := make([]byte, 0, len(sealedMagic)+len(nonce)+len(blob)+gcm.Overhead())
	out = append(out, sealedMagic...)
	out = append(out, nonce...)
	out = gcm.Seal(out, nonce, blob, aad(name))
	if err := writeFileAtomic(e.dir, e.Path(name), out); err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot write the sealed file for %q in %s", name, e.dir)
	}
	return nil
}

// Load opens the blob sealed under name. No file: apperr.SecretMissing wrapping ErrNotSealed.
// A file whose key is missing or wrong, or that was altered: the file is removed and the error
// is apperr.SecretMissing wrapping ErrUnreadable. A keychain that cannot be reached returns its
// own error and leaves the file alone (a locked keyring is not a lost key).
func (e *Envelope) Load(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(e.Path(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, apperr.Wrap(ErrNotSealed, apperr.SecretMissing, "nothing is saved under %q", name)
	}
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "cannot read the sealed file for %q", name)
	}
	for attempt := 0; attempt < 2; attempt++ {
		key, err := e.key(ctx, name, false)
		if apperr.CodeOf(err) == apperr.SecretMissing {
			return nil, e.discard(name, "its key is no longer in the keychain")
		}
		if err != nil {
			return nil, err
		}
		if blob, ok := open(key, name, data); ok {
			return blob, nil
		}
		// Another process (the GUI and the CLI share the folder) may have re-keyed the file since
		// the key was cached: read the key again once before giving up.
		e.forget(name)
	}
	return nil, e.discard(name, "it does not open with its keychain key (wrong key or altered file)")
}

// Remove deletes the sealed file and its key. Absent ones are not an error.
func (e *Envelope) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	e.forget(name)
	if err := os.Remove(e.Path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return apperr.Wrap(err, apperr.Internal, "cannot remove the sealed file for %q", name)
	}
	return e.store.Delete(ctx, keyPrefix+name)
}

func (e *Envelope) discard(name, why string) error {
	e.forget(name)
	_ = os.Remove(e.Path(name))
	return apperr.Wrap(ErrUnreadable, apperr.SecretMissing, "the saved %q could not be opened: %s; it was removed", name, why)
}

func (e *Envelope) forget(name string) {
	e.mu.Lock()
	delete(e.keys, name)
	e.mu.Unlock()
}

func (e *Envelope) key(ctx context.Context, name string, create bool) ([]byte, error) {
	e.mu.Lock()
	k, ok := e.keys[name]
	e.mu.Unlock()
	if ok {
		return k, nil
	}
	enc, err := e.store.Get(ctx, keyPrefix+name)
	if err == nil {
		k, derr := base64.StdEncoding.DecodeString(enc)
		if derr != nil || len(k) != keySize {
			// Treat a malformed key like a missing one: what it sealed cannot be opened.
			if !create {
				return nil, apperr.New(apperr.SecretMissing, "the keychain key for %q is malformed", name)
			}
		} else {
			e.remember(name, k)
			return k, nil
		}
	} else if apperr.CodeOf(err) != apperr.SecretMissing || !create {
		return nil, err
	}
	k = make([]byte, keySize)
	if _, err := rand.Read(k); err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "no randomness for a key")
	}
	if err := e.store.Set(ctx, keyPrefix+name, base64.StdEncoding.EncodeToString(k)); err != nil {
		return nil, err
	}
	e.remember(name, k)
	return k, nil
}

func (e *Envelope) remember(name string, k []byte) {
	e.mu.Lock()
	e.keys[name] = k
	e.mu.Unlock()
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Internal, "bad envelope key")
	}
	return cipher.NewGCM(block)
}

func open(key []byte, name string, data []byte) ([]byte, bool) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, false
	}
	if !bytes.HasPrefix(data, sealedMagic) || len(data) < len(sealedMagic)+gcm.NonceSize()+gcm.Overhead() {
		return nil, false
	}
	rest := data[len(sealedMagic):]
	blob, err := gcm.Open(nil, rest[:gcm.NonceSize()], rest[gcm.NonceSize():], aad(name))
	if err != nil {
		return nil, false
	}
	return blob, true
}

func writeFileAtomic(dir, path string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o600)
}
