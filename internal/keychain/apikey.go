package keychain

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
)

// KeyKind names the Atlassian API keys a directory holds.
type KeyKind string

const (
	SCIMKey KeyKind = "scim-key" // the identity provider directory's SCIM API key
	OrgKey  KeyKind = "org-key"  // the organization API key (domains)
)

// KeyLifetime is how long Atlassian API keys live: they expire a year after creation.
const KeyLifetime = 365 * 24 * time.Hour

// APIKey is an Atlassian API key with the date it was stored. The date is the only age the app
// can know; the key was created on or before it, so the real expiry is on or before ExpiresBy.
type APIKey struct {
	Secret string    `json:"key"`
	Stored time.Time `json:"stored"`
}

// ExpiresBy is the latest date the key can still work (a year after it was stored).
func (k APIKey) ExpiresBy() time.Time { return k.Stored.Add(KeyLifetime) }

// APIKeyItem is the keychain item name of a directory's key of that kind.
func APIKeyItem(directoryID string, kind KeyKind) string {
	return "atlassian/" + string(kind) + "/" + directoryID
}

// PutAPIKey stores an Atlassian API key for a directory with the time it was stored.
func PutAPIKey(ctx context.Context, s Store, directoryID string, kind KeyKind, secret string, stored time.Time) error {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return apperr.New(apperr.InvalidInput, "the Atlassian %s is empty", kind)
	}
	if directoryID == "" {
		return apperr.New(apperr.InvalidInput, "no directory for the Atlassian %s", kind)
	}
	b, err := json.Marshal(APIKey{Secret: secret, Stored: stored.UTC().Truncate(time.Second)})
	if err != nil {
		return apperr.Wrap(err, apperr.Internal, "cannot encode the %s item", kind)
	}
	return s.Set(ctx, APIKeyItem(directoryID, kind), string(b))
}

// GetAPIKey reads a directory's key; apperr.SecretMissing (with the action to enter it again) when absent.
func GetAPIKey(ctx context.Context, s Store, directoryID string, kind KeyKind) (APIKey, error) {
	v, err := s.Get(ctx, APIKeyItem(directoryID, kind))
	if err != nil {
		if e := apperr.As(err); e.Code == apperr.SecretMissing {
			e.Action = "Enter the Atlassian " + string(kind) + " again (Settings of the directory)."
		}
		return APIKey{}, err
	}
	var k APIKey
	if err := json.Unmarshal([]byte(v), &k); err != nil || k.Secret == "" {
		// Not a secret-bearing message: the item is unreadable, its content is not quoted.
		return APIKey{}, apperr.New(apperr.SecretMissing, "the keychain item for the Atlassian %s is not in IdP Sync's format", kind).
			WithAction("Enter the Atlassian " + string(kind) + " again (Settings of the directory).")
	}
	return k, nil
}

// DeleteAPIKey removes a directory's key of that kind.
func DeleteAPIKey(ctx context.Context, s Store, directoryID string, kind KeyKind) error {
	return s.Delete(ctx, APIKeyItem(directoryID, kind))
}
