package backend

import (
	"context"
	"time"

	"github.com/idpsync/idpsync/internal/apperr"
	"github.com/idpsync/idpsync/internal/engine"
)

// StartScheduler runs automatic syncs of directories with AutoSync on until ctx ends or the
// backend closes. An automatic sync proceeds only while the tenant and the domain set are those
// last confirmed, and never over the deactivation threshold; otherwise it stops before writing
// and emits EventSchedule with the reason.
func (b *Backend) StartScheduler(ctx context.Context) {
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			b.releaseExpired()
			b.scheduleTick(ctx)
			select {
			case <-ctx.Done():
				return
			case <-b.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (b *Backend) scheduleTick(ctx context.Context) {
	ds, err := b.st.ListDirectories(ctx)
	if err != nil {
		return
	}
	for _, d := range ds {
		s, err := b.settings(ctx, d.ID)
		if err != nil || !s.AutoSync {
			continue
		}
		// The status the screens show decides: a directory being synced or previewed, without
		// an account or a valid key, or whose last sync the admin cancelled, waits for the admin.
		if st, _, err := b.DirectoryStatus(ctx, d.ID); err != nil || !schedulable(DirStatus(st)) {
			continue
		}
		runs, _ := b.st.Runs(ctx, d.ID, "", 20)
		var last time.Time
		for _, r := range runs {
			if r.Automatic || r.Kind == "apply" {
				last = r.Started
				break
			}
		}
		if !last.IsZero() && b.opts.Now().Sub(last) < time.Duration(s.AutoIntervalMinutes)*time.Minute {
			continue
		}
		if _, err := b.AutoSync(ctx, d.ID); err != nil {
			b.opts.Emitter.Emit(EventSchedule, ScheduleNotice{DirectoryID: d.ID, Error: errDTO(err), At: rfc(b.opts.Now())})
		}
	}
}

// schedulable says whether an automatic sync may start in a directory of this status. A
// blocked directory is tried again: what blocked it (a changed domain set) may have been undone.
func schedulable(status DirStatus) bool {
	return status == StatusEnabled || status == StatusBlocked
}

func errDTO(err error) ErrorDTO {
	e := apperr.As(err)
	return ErrorDTO{Code: string(e.Code), Message: e.Message, Action: e.Action}
}

// AutoSync is one automatic sync under the standing confirmation rule.
func (b *Backend) AutoSync(ctx context.Context, id string) (rs RunSummary, err error) {
	d, err := b.st.GetDirectory(ctx, id)
	if err != nil {
		return RunSummary{}, err
	}
	defer func() { b.afterAutomatic(ctx, d, rs, err) }()
	conf, err := b.st.StandingConfirmation(ctx, id)
	if err != nil {
		return RunSummary{}, err
	}
	if conf == nil {
		return RunSummary{}, apperr.New(apperr.ConfirmationRequired, "automatic syncing waits for a first sync confirmed by the admin").WithAction("Run a sync and confirm the tenant and domains.")
	}
	// An automatic run never overrides a rail: the deactivation and membership-removal
	// thresholds and the read-shrink rail all stop it before writing.
	rs, _, err = b.run(ctx, d, runRequest{automatic: true, purpose: "automatic sync",
		confirm: engine.Confirmation{TenantID: conf.TenantID, Domains: conf.Domains}})
	return rs, err
}
