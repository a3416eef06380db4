package app

import (
	"time"

	"github.com/idpsync/idpsync/internal/backend"
)

// KeepSyncing is the sync settings' "Keep syncing when IdP Sync is closed": it installs this
// system's scheduler entry (what `idpsync schedule install` writes) running the headless sync
// every everyMinutes with the tenant and domains last confirmed.
func (s *DirectoryService) KeepSyncing(id string, everyMinutes int) (backend.ScheduleStatus, error) {
	return with(s.core, "KeepSyncing", func(b *backend.Backend) (backend.ScheduleStatus, error) {
		return b.InstallSchedule(s.core.ctx, id, time.Duration(everyMinutes)*time.Minute, backend.DefaultScheduler(), true)
	})
}

// StopKeepSyncing removes the scheduler entry.
func (s *DirectoryService) StopKeepSyncing(id string) (Done, error) {
	return with(s.core, "StopKeepSyncing", func(b *backend.Backend) (Done, error) {
		_, err := b.RemoveSchedule(s.core.ctx, id, backend.DefaultScheduler(), true)
		return Done{OK: err == nil}, err
	})
}

// KeepSyncingStatus says whether the entry is installed and matches everyMinutes and the last
// confirmation.
func (s *DirectoryService) KeepSyncingStatus(id string, everyMinutes int) (backend.ScheduleStatus, error) {
	return with(s.core, "KeepSyncingStatus", func(b *backend.Backend) (backend.ScheduleStatus, error) {
		return b.ScheduleStatus(s.core.ctx, id, time.Duration(everyMinutes)*time.Minute, backend.DefaultScheduler())
	})
}
