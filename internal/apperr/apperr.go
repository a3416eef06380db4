// Package apperr defines the application's structured error: a stable code that screens,
// the CLI and reports can rely on, a human message, and the action that fixes it.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a stable, documented error identifier. Codes never change meaning once shipped;
// the frontend maps them to texts and actions.
type Code string

// Codes shared across packages. Packages may add their own codes here; keep them grouped by area.
const (
	Internal     Code = "internal"      // a bug: a panic recovered or an invariant broken
	InvalidInput Code = "invalid_input" // the admin's input was refused
	NotFound     Code = "not_found"
	// DirectoryDuplicate: another IdP Sync directory already writes to this Atlassian SCIM
	// directory (Atlassian allows one nested-groups directory per organization).
	DirectoryDuplicate Code = "directory_duplicate"
	Canceled           Code = "canceled"

	// Keychain
	KeychainUnavailable Code = "keychain_unavailable" // no Secret Service / Credential Manager / Keychain usable
	KeychainTimeout     Code = "keychain_timeout"     // the keychain did not answer (locked, prompt not answered)
	SecretMissing       Code = "secret_missing"       // the item is not in the keychain: sign in again / re-enter the key

	// Sign-in (Microsoft identity platform)
	AuthRequired        Code = "auth_required" // no usable cached account: sign in again
	AuthCanceled        Code = "auth_canceled"
	AuthConsentRequired Code = "auth_consent_required" // admin consent missing for a delegated permission
	AuthScopeDeclined   Code = "auth_scope_declined"   // the admin declined one of the permissions
	AuthFailed          Code = "auth_failed"
	TenantMismatch      Code = "tenant_mismatch" // signed in to another tenant than the directory is pinned to

	// Microsoft Graph
	GraphPermission   Code = "graph_permission"    // 401/403: which permission is missing
	GraphThrottled    Code = "graph_throttled"     // 429 after retries
	GraphUnavailable  Code = "graph_unavailable"   // 5xx / network after retries
	GraphBadResponse  Code = "graph_bad_response"  // malformed or truncated page
	GraphDeltaExpired Code = "graph_delta_expired" // 410 / syncStateNotFound: a full read is needed

	// Atlassian
	AtlassianUnauthorized Code = "atlassian_unauthorized" // 401: key wrong or expired
	AtlassianForbidden    Code = "atlassian_forbidden"
	AtlassianNotFound     Code = "atlassian_not_found"
	AtlassianConflict     Code = "atlassian_conflict"
	AtlassianThrottled    Code = "atlassian_throttled"
	AtlassianUnavailable  Code = "atlassian_unavailable"
	AtlassianBadResponse  Code = "atlassian_bad_response"
	AtlassianRejected     Code = "atlassian_rejected" // 400 or a documented refusal (limits, default-access group)
	InsecureURL           Code = "insecure_url"       // http:// or a non-Atlassian host without the admin's consent

	// Sync engine
	SyncLocked           Code = "sync_locked"                // another sync of this directory is running
	ConfirmationRequired Code = "confirmation_required"      // tenant, domains or plan changed since the preview
	ThresholdExceeded    Code = "threshold_exceeded"         // too many deactivations
	RemovalsExceeded     Code = "removal_threshold_exceeded" // too many memberships removed (deleted groups included)
	ReadShrank           Code = "read_shrank"                // the read holds far fewer objects than the last synced one
	PlanLimitExceeded    Code = "plan_limit_exceeded"        // over Atlassian's directory or group limits
	ConflictUnresolved   Code = "conflict_unresolved"        // unmanaged same-named group awaits a decision
	SuspendUnavailable   Code = "suspend_unavailable"        // "suspend access" chosen, but no organization key
	StoreCorrupt         Code = "store_corrupt"

	// Reports
	ReportInvalid     Code = "report_invalid"
	ReportTooLarge    Code = "report_too_large"
	ReportUnsupported Code = "report_unsupported_version"
)

// Codes lists every code above, in order: the frontend gets them as a TypeScript enum (Wails
// EnumBind), and its message table is typed Record<Code, …>, so a code added here without a
// message fails the frontend's type check. TestCodesListsEveryCode keeps the list complete.
var Codes = []Code{
	Internal, InvalidInput, NotFound, DirectoryDuplicate, Canceled,
	KeychainUnavailable, KeychainTimeout, SecretMissing,
	AuthRequired, AuthCanceled, AuthConsentRequired, AuthScopeDeclined, AuthFailed, TenantMismatch,
	GraphPermission, GraphThrottled, GraphUnavailable, GraphBadResponse, GraphDeltaExpired,
	AtlassianUnauthorized, AtlassianForbidden, AtlassianNotFound, AtlassianConflict, AtlassianThrottled,
	AtlassianUnavailable, AtlassianBadResponse, AtlassianRejected, InsecureURL,
	SyncLocked, ConfirmationRequired, ThresholdExceeded, RemovalsExceeded, ReadShrank, PlanLimitExceeded,
	SuspendUnavailable, ConflictUnresolved, StoreCorrupt,
	ReportInvalid, ReportTooLarge, ReportUnsupported,
}

// Error is the one error shape that crosses package and process boundaries.
// Message is for humans and never contains a secret; Action says what to do about it.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Action  string `json:"action,omitempty"`
	Err     error  `json:"-"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a code and a message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error with a code and a message that keeps cause for errors.Is/As and logs.
func Wrap(cause error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// WithAction returns e with the remedy the admin should take.
func (e *Error) WithAction(action string) *Error {
	e.Action = action
	return e
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, ErrCanceled) {
		return Canceled
	}
	return Internal
}

// As returns the first *Error in err's chain or wraps err as Internal so callers always get a code.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "unexpected error", Err: err}
}

// ErrCanceled marks work stopped on request.
var ErrCanceled = errors.New("canceled")
