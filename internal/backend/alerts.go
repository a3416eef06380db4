package backend

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/idpsync/idpsync/internal/alert"
	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/store"
)

// EventAlert carries an alert.Alert when an automatic sync raised one (the overview's "last alert").
const EventAlert = "sync:alert"

// Alert is what the overview shows of the last alert.
type Alert = alert.Alert

// blockedCodes are the safety rails that stop a run before it writes: the run is "blocked",
// not "failed" (the same split as the report's status).
var blockedCodes = map[apperr.Code]bool{apperr.ConfirmationRequired: true, apperr.ThresholdExceeded: true, apperr.TenantMismatch: true,
	apperr.PlanLimitExceeded: true, apperr.ConflictUnresolved: true}

func (b *Backend) alertPath(id string) string { return filepath.Join(b.home, "alerts", id+".json") }

// afterAutomatic raises an alert when an automatic run (the app's schedule, or the OS scheduler's
// idpsync sync --scheduled) failed, partly failed or was blocked, and records it as the
// directory's last alert. Delivery problems are recorded in the alert, never returned: the
// run's own outcome is what the caller reports.
func (b *Backend) afterAutomatic(ctx context.Context, d store.Directory, rs RunSummary, err error) {
	status := rs.Status
	if err != nil {
		status = alert.Failed
		if blockedCodes[apperr.CodeOf(err)] {
			status = alert.Blocked
		}
	}
	if !alert.Raises(status) {
		return
	}
	if rs.RunID == "" && status == alert.Blocked {
		// A confirmation that no longer matches stopped the run before it wrote: engine.Run
		// recorded it as the newest automatic apply run, blocked, with its report.
		if runs, rerr := b.st.Runs(ctx, d.ID, "", 5); rerr == nil {
			for _, r := range runs {
				if r.Kind == "apply" && r.Automatic && r.Status == alert.Blocked {
					rs.RunID, rs.ReportPath = r.ID, r.ReportPath
					break
				}
			}
		}
	}
	a := alert.Alert{Directory: d.Name, DirectoryID: d.ID, Status: status, RunID: rs.RunID, ReportPath: rs.ReportPath, At: rfc(b.opts.Now())}
	a.Host, _ = os.Hostname()
	if err != nil {
		e := apperr.As(err)
		a.Code, a.Message, a.Action = string(e.Code), e.Message, e.Action
	} else {
		a.Code, a.Message = rs.ErrorCode, rs.ErrorMessage
		if a.Message == "" {
			a.Message = "some operations failed; the report lists them"
		}
	}
	ctx = context.WithoutCancel(ctx)
	hook, herr := alert.Webhook(ctx, b.opts.Secrets, d.ID)
	a = b.opts.Alerts.Send(ctx, a, hook)
	if herr != nil {
		a.Errors = append(a.Errors, "webhook: "+apperr.As(herr).Message)
	}
	if js, jerr := json.MarshalIndent(a, "", "  "); jerr == nil {
		if os.MkdirAll(filepath.Dir(b.alertPath(d.ID)), 0o700) == nil {
			_ = os.WriteFile(b.alertPath(d.ID), js, 0o600)
		}
	}
	b.opts.Emitter.Emit(EventAlert, a)
}

// LastAlert returns the directory's last alert, nil when none was raised.
func (b *Backend) LastAlert(ctx context.Context, id string) (*Alert, error) {
	if _, err := b.st.GetDirectory(ctx, id); err != nil {
		return nil, err
	}
	js, err := os.ReadFile(b.alertPath(id))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.Wrap(err, apperr.StoreCorrupt, "cannot read the last alert")
	}
	var a Alert
	if err := json.Unmarshal(js, &a); err != nil {
		return nil, apperr.Wrap(err, apperr.StoreCorrupt, "the last alert cannot be read")
	}
	return &a, nil
}

// SetWebhook stores (or, with "", removes) the directory's alert webhook URL in the keychain.
func (b *Backend) SetWebhook(ctx context.Context, id, url string) error {
	if _, err := b.st.GetDirectory(ctx, id); err != nil {
		return err
	}
	if url == "" {
		return alert.DeleteWebhook(ctx, b.opts.Secrets, id)
	}
	return alert.SetWebhook(ctx, b.opts.Secrets, id, url)
}

// HasWebhook reports whether a webhook URL is stored (the URL itself never leaves the keychain
// except to be posted to).
func (b *Backend) HasWebhook(ctx context.Context, id string) (bool, error) {
	u, err := alert.Webhook(ctx, b.opts.Secrets, id)
	return u != "", err
}

// TestAlert sends a test alert through every configured channel and returns what was delivered.
func (b *Backend) TestAlert(ctx context.Context, id string) (Alert, error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return Alert{}, err
	}
	hook, err := alert.Webhook(ctx, b.opts.Secrets, id)
	if err != nil {
		return Alert{}, err
	}
	a := alert.Alert{Directory: d.Name, DirectoryID: d.ID, Status: alert.Failed, Code: "test", Message: "This is a test alert from IdP Sync; no sync ran.", At: rfc(b.opts.Now())}
	a.Host, _ = os.Hostname()
	return b.opts.Alerts.Send(ctx, a, hook), nil
}
