import { Checkbox } from '@atlaskit/checkbox';
import { useEffect, useState } from 'react';
import { DirectoryService, toAppError } from '../api';
import { useAction } from '../common/action';
import { ErrorMessage } from '../common/errors';

/**
 * "Keep syncing when IdP Sync is closed": installs (or removes) this system's scheduler entry
 * (Task Scheduler, launchd, systemd or cron) that runs the headless sync at the chosen interval
 * under the last confirmation, as `idpsync schedule install` does.
 */
export function KeepSyncing({ directoryId, everyMinutes }: { directoryId: string; everyMinutes: number }) {
  const [installed, setInstalled] = useState(false);
  const [upToDate, setUpToDate] = useState(true);
  const { busy, error, setError, run } = useAction();

  useEffect(() => {
    let live = true;
    DirectoryService.KeepSyncingStatus(directoryId, everyMinutes).then(
      (st) => {
        if (!live) return;
        setInstalled(st.installed);
        setUpToDate(st.upToDate ?? true);
      },
      (e) => live && setError(toAppError(e)),
    );
    return () => {
      live = false;
    };
  }, [directoryId, everyMinutes, setError]);

  const toggle = (on: boolean) =>
    run(async () => {
      if (on) {
        const st = await DirectoryService.KeepSyncing(directoryId, everyMinutes);
        setInstalled(st.installed);
        setUpToDate(true);
      } else {
        await DirectoryService.StopKeepSyncing(directoryId);
        setInstalled(false);
      }
    });

  return (
    <div data-testid="keep-syncing">
      <Checkbox
        isChecked={installed}
        isDisabled={busy}
        onChange={(e) => void toggle(e.currentTarget.checked)}
        label="Keep syncing when IdP Sync is closed"
        testId="keep-syncing-toggle"
      />
      <p className="muted">
        {installed && !upToDate
          ? 'The system schedule uses another interval or an older confirmation: turn this off and on again to update it.'
          : 'Adds a task to this computer’s scheduler that runs the sync at this interval, with the tenant and domains you last confirmed. A failed or blocked sync raises a notification.'}
      </p>
      {error && <ErrorMessage error={error} title="The system schedule could not be changed" testId="keep-syncing-error" />}
    </div>
  );
}
