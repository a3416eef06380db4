import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import type { backend } from '../api';
import { codeAction, ErrorMessage } from '../common/errors';
import { formatCount, formatDate } from '../common/format';
import { OperationsPanel, useRunReport } from '../common/OperationsPanel';
import { Conflicts } from './Conflicts';
import { PlanNotices } from './PlanNotices';
import { CountTable } from './Counts';

/** The safety rails a sync can be overridden past, for that sync only (see ConfirmDialog). */
const railTitles: Record<string, string> = {
  threshold_exceeded: 'Deactivation threshold exceeded',
  removal_threshold_exceeded: 'Membership-removal threshold exceeded',
  read_shrank: 'Entra returned far fewer objects than at the last sync',
};

/**
 * The plan, browsable before applying: its counts, the conflicts to decide, and every operation
 * and what is left out (paged from the preview's report, as a run's report is).
 */
export function PreviewPanel({
  plan,
  onPlan,
  stale,
}: {
  plan: backend.PlanSummary;
  onPlan: (p: backend.PlanSummary) => void;
  stale: boolean;
}) {
  const { handle, error } = useRunReport(plan.runId);
  return (
    <div className="preview" data-testid="preview">
      {stale && (
        <SectionMessage appearance="warning" title="The settings changed after this preview" testId="preview-stale">
          <p>This preview no longer matches the saved settings and cannot be applied. Preview again.</p>
        </SectionMessage>
      )}
      <div className="preview-summary">
        <div>
          <h3 className="subhead">Planned changes</h3>
          <CountTable counts={plan.counts} testId="preview-counts" />
        </div>
        <div>
          <dl className="kv">
            <dt>Tenant</dt>
            <dd>
              {plan.tenantName} <span className="muted">({plan.tenantId})</span>
            </dd>
            <dt>Domains</dt>
            <dd>{(plan.domains ?? []).join(', ') || '—'}</dd>
            <dt>Read</dt>
            <dd>{plan.full ? 'Full read of both sides' : 'Changes since the last sync'}</dd>
            <dt>Previewed</dt>
            <dd>{formatDate(plan.created)}</dd>
            <dt>Left out of scope</dt>
            <dd>{formatCount(plan.skips)}</dd>
          </dl>
        </div>
      </div>
      {(plan.blocked ?? []).map((b, i) => (
        <SectionMessage key={i} appearance={railTitles[b.code] ? 'warning' : 'error'} title={railTitles[b.code] ?? 'This plan cannot be applied'}>
          <p>{b.message}</p>
          <p>{codeAction(b.code, b.action)}</p>
        </SectionMessage>
      ))}
      <PlanNotices plan={plan} />
      <Conflicts plan={plan} onPlan={onPlan} />
      {error ? (
        <ErrorMessage error={error} title="The planned changes could not be listed" />
      ) : !handle ? (
        <div className="center-pad">
          <Spinner label="Loading the planned changes" />
        </div>
      ) : (
        <OperationsPanel handle={handle} applied={false} emptyText={<p className="muted">Nothing to change: Atlassian already matches Entra ID for this scope.</p>} />
      )}
    </div>
  );
}
