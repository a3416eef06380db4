package keychain_test

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/keychain"
)

// A sealed blob on disk never shows its plaintext, is private to the user, uses a fresh nonce
// each time, is bound to its name (a file copied under another name does not open), and any
// altered byte makes it unreadable (SecretMissing) rather than garbage. Names cannot leave the folder.
func TestEnvelopeOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := keychain.NewEnvelope(keychain.NewMemory(), dir)
	secret := []byte(`{"RefreshToken":{"secret":"0.AAAA-refresh-token-value-7f3a9c"}}`)
	if err := e.Save(ctx, "msal-a", secret); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(e.Path("msal-a"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(first, []byte("refresh-token-value")) || bytes.Contains(first, secret[:20]) {
		t.Fatal("the sealed file holds the plaintext")
	}
	if fi, _ := os.Stat(e.Path("msal-a")); runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("the sealed file is readable by others: %v", fi.Mode())
	}
	if err := e.Save(ctx, "msal-a", secret); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(e.Path("msal-a"))
	if bytes.Equal(first, second) {
		t.Fatal("two seals of one blob are identical: the nonce is reused")
	}
	// Copied under another name (with that name's key present): refused.
	if err := e.Save(ctx, "msal-b", []byte("other")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.Path("msal-b"), second, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := e.Load(ctx, "msal-b"); apperr.CodeOf(err) != apperr.SecretMissing {
		t.Fatalf("a blob sealed for another name opened: %q %v", got, err)
	}
	// Every single-byte alteration is refused.
	for i := 0; i < len(second); i += max(1, len(second)/40) {
		bad := bytes.Clone(second)
		bad[i] ^= 0x01
		if err := os.WriteFile(e.Path("msal-a"), bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := e.Load(ctx, "msal-a"); apperr.CodeOf(err) != apperr.SecretMissing {
			t.Fatalf("byte %d altered: got %q %v", i, got, err)
		}
		if err := e.Save(ctx, "msal-a", secret); err != nil { // Load removed the altered file
			t.Fatal(err)
		}
		second, _ = os.ReadFile(e.Path("msal-a"))
	}
	for _, name := range []string{"../escape", "a/b", "", ".."} {
		if err := e.Save(ctx, name, secret); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if b, _ := os.ReadFile(dir + "/" + en.Name()); bytes.Contains(b, []byte("refresh-token-value")) {
			t.Errorf("%s holds the plaintext", en.Name())
		}
	}
}
