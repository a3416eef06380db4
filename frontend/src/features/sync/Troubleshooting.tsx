import EmptyState from '@atlaskit/empty-state';
import Button from '@atlaskit/button/new';
import { SyncService } from '../api';
import { codeAction, codeTitle, ErrorMessage } from '../common/errors';
import { Loading, useLoad } from '../common/loading';
import { formatDate, labelOf } from '../common/format';
import { runKindText } from '../common/status';

/** The errors of the last runs: code, what it means, the object it concerned and what to do. */
export function Troubleshooting({ directoryId, onReport, refreshKey = 0 }: { directoryId: string; onReport: (runId: string) => void; refreshKey?: number }) {
  const { value: items, error } = useLoad(async () => (await SyncService.Troubleshooting(directoryId)) ?? [], [directoryId, refreshKey]);
  if (error) return <ErrorMessage error={error} title="The troubleshooting log could not be read" />;
  if (!items) return <Loading label="Loading" />;
  if (items.length === 0)
    return <EmptyState header="No errors in the last runs" description="Errors of previews and syncs, with what to do about them, appear here." headingLevel={2} testId="trouble-empty" />;
  return (
    <table className="data-table" data-testid="trouble-table">
      <thead>
        <tr>
          <th>When</th>
          <th>Error</th>
          <th>Affected object</th>
          <th>What to do</th>
          <th>
            <span className="visually-hidden">Report</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((p, i) => (
          <tr key={i} data-testid="trouble-row">
            <td>
              {formatDate(p.started)}
              <div className="muted small">{runKindText(p.kind)}</div>
            </td>
            <td>
              <strong>{codeTitle(p.code)}</strong>
              <div>{p.message}</div>
              <div className="muted small">Code: {p.code}</div>
            </td>
            <td>
              {p.object ? (
                <>
                  {p.action && <div className="muted small">{labelOf(p.action)}</div>}
                  {p.object.name} {p.object.email && <span className="muted">{p.object.email}</span>}
                  {p.group && <div className="muted small">Group: {p.group.name}</div>}
                </>
              ) : (
                'The whole run'
              )}
            </td>
            <td>{codeAction(p.code)}</td>
            <td>
              <Button appearance="subtle" onClick={() => onReport(p.runId)}>
                Report
              </Button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
