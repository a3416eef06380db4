package backend

import (
	"context"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/engine"
	"github.com/idpsync/idpsync/internal/store"
)

// DirStatus is a directory's status: the one answer the overview, the list, the flags and the
// scheduler all read, so that no two panels contradict each other. The first that holds wins,
// in this order. The frontend gets the values as a TypeScript enum (app.Enums).
type DirStatus string

const (
	StatusSyncing     DirStatus = "syncing"       // an apply of this directory runs in this app
	StatusPreviewing  DirStatus = "previewing"    // a preview is being computed
	StatusNotSignedIn DirStatus = "not_signed_in" // no Microsoft account: nothing can be read
	StatusKeyExpired  DirStatus = "key_expired"   // the directory API key is missing or past its year
	StatusBlocked     DirStatus = "blocked"       // the last sync was stopped by a rail or failed: needs the admin
	StatusCancelled   DirStatus = "cancelled"     // the admin cancelled the last sync; the next one finishes it
	StatusEnabled     DirStatus = "enabled"       // idle, automatic syncing on
	StatusDisabled    DirStatus = "disabled"      // idle, automatic syncing off
)

// DirStatuses lists every DirStatus, for the frontend's enum.
var DirStatuses = []DirStatus{StatusSyncing, StatusPreviewing, StatusNotSignedIn, StatusKeyExpired, StatusBlocked, StatusCancelled, StatusEnabled, StatusDisabled}

// dirStatus is a directory's status with its reason and the last apply run.
type dirStatus struct {
	Status  DirStatus
	Reason  string
	LastRun *RunSummary
}

// status computes the directory's status. hasKey and keyExpired come from the keychain read the
// caller made.
func (b *Backend) status(ctx context.Context, d store.Directory, s engine.Settings, hasKey, keyExpired bool) dirStatus {
	out := dirStatus{Status: StatusDisabled}
	if s.AutoSync {
		out.Status = StatusEnabled
	}
	var last *RunSummary
	if runs, err := b.st.Runs(ctx, d.ID, "", 20); err == nil {
		for _, r := range runs {
			if r.Kind == "apply" {
				rs := runDTO(r)
				last = &rs
				break
			}
		}
	}
	out.LastRun = last
	b.mu.Lock()
	_, running := b.runs[d.ID]
	previewing := b.previews[d.ID] > 0
	b.mu.Unlock()
	switch {
	case running:
		out.Status, out.Reason = StatusSyncing, "A sync of this directory is running."
	case previewing:
		out.Status, out.Reason = StatusPreviewing, "IdP Sync is reading both sides to preview the changes."
	case !b.signedIn(ctx, d.ID):
		out.Status, out.Reason = StatusNotSignedIn, "Sign in with Microsoft so that IdP Sync can read the tenant."
	case !hasKey:
		out.Status, out.Reason = StatusKeyExpired, "The directory API key is missing from the keychain. Enter it in Connection."
	case keyExpired:
		out.Status, out.Reason = StatusKeyExpired, "The directory API key is more than a year old and has expired. Create a new key in admin.atlassian.com and enter it in Connection."
	case last != nil && (last.Status == "blocked" || last.Status == "failed"):
		out.Status, out.Reason = StatusBlocked, last.ErrorMessage
	case last != nil && last.Status == "canceled":
		out.Status, out.Reason = StatusCancelled, "You cancelled the last sync; the next sync finishes what it did not do."
	}
	return out
}

// signedIn reports whether the directory has a Microsoft account. An error other than "sign
// in required" (a keychain that does not answer) is not taken for "not signed in".
func (b *Backend) signedIn(ctx context.Context, id string) bool {
	a, err := b.CurrentAccount(ctx, id)
	if err != nil {
		return apperr.CodeOf(err) != apperr.AuthRequired
	}
	return a != nil
}

// DirectoryStatus is the status of one directory (the scheduler and the CLI ask for it).
func (b *Backend) DirectoryStatus(ctx context.Context, id string) (string, string, error) {
	d, err := b.GetDirectory(ctx, id)
	if err != nil {
		return "", "", err
	}
	return string(d.Status), d.StatusReason, nil
}
