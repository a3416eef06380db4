import Button from '@atlaskit/button/new';
import DynamicTable from '@atlaskit/dynamic-table';
import EmptyState from '@atlaskit/empty-state';
import Lozenge from '@atlaskit/lozenge';
import { SyncService, report, type app } from '../api';
import { ErrorMessage } from '../common/errors';
import { Loading, useLoad } from '../common/loading';
import { doneText, formatCount, formatDate, formatDuration, plural, sumBy } from '../common/format';
import { RunStatus, runKindText } from '../common/status';

function changes(r: app.HistoryRow['run']): string {
  if (r.kind === 'apply' && ((r.notDone ?? 0) > 0 || r.status === 'canceled')) return doneText(r);
  const c = r.counts ?? [];
  const n = (...actions: report.Action[]) => actions.reduce((a, action) => a + sumBy(c, { action }), 0);
  const users = n(report.Action.CreateUser, report.Action.UpdateUser, report.Action.ReactivateUser, report.Action.AdoptUser, report.Action.RestoreUser);
  const deact = n(report.Action.DeactivateUser);
  const susp = n(report.Action.SuspendUser);
  const groups = n(report.Action.CreateGroup, report.Action.AdoptGroup);
  const members = sumBy(c, { object: 'membership' });
  return `${plural(users, 'user')}, ${formatCount(deact)} deactivated${susp > 0 ? `, ${formatCount(susp)} suspended` : ''}, ${plural(groups, 'group')}, ${plural(members, 'membership')}`;
}

/** Sync history: every preview and sync with status, duration, counts and errors; opens the report. */
export function History({ directoryId = '', onReport, showDirectory = false, refreshKey = 0 }: { directoryId?: string; onReport: (runId: string) => void; showDirectory?: boolean; refreshKey?: number }) {
  const { value: rows, error } = useLoad(async () => (await SyncService.History(directoryId, 200)) ?? [], [directoryId, refreshKey]);
  if (error) return <ErrorMessage error={error} title="The history could not be read" />;
  if (!rows) return <Loading label="Loading history" />;
  const head = {
    cells: [
      { key: 'started', content: 'Started' },
      ...(showDirectory ? [{ key: 'dir', content: 'Directory' }] : []),
      { key: 'kind', content: 'Type' },
      { key: 'status', content: 'Result' },
      { key: 'duration', content: 'Duration' },
      { key: 'changes', content: 'Changes' },
      { key: 'error', content: 'Error' },
      { key: 'report', content: <span className="visually-hidden">Report</span> },
    ],
  };
  return (
    <div data-testid="history-table">
    <DynamicTable
            head={head}
      rowsPerPage={25}
      emptyView={<EmptyState header="No sync runs yet" description="Previews and syncs appear here with their reports." headingLevel={2} />}
      rows={rows.map(({ run, directoryName }) => ({
        key: run.runId,
        testId: `history-${run.kind}-${run.status}`,
        cells: [
          { key: 'started', content: formatDate(run.started) },
          ...(showDirectory ? [{ key: 'dir', content: directoryName }] : []),
          {
            key: 'kind',
            content: (
              <span>
                {runKindText(run.kind)} {run.automatic && <Lozenge>Automatic</Lozenge>} {run.full && <Lozenge>Full</Lozenge>}
              </span>
            ),
          },
          { key: 'status', content: <RunStatus status={run.status} /> },
          { key: 'duration', content: formatDuration(run.durationMillis) },
          { key: 'changes', content: <span data-testid="history-changes">{changes(run)}</span> },
          { key: 'error', content: run.errorMessage ? <span title={run.errorCode}>{run.errorMessage}</span> : '—' },
          {
            key: 'report',
            content: run.reportPath ? (
              <Button appearance="subtle" onClick={() => onReport(run.runId)} testId="history-report">
                View report
              </Button>
            ) : null,
          },
        ],
      }))}
    />
    </div>
  );
}
