import Button from '@atlaskit/button/new';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import ProgressBar from '@atlaskit/progress-bar';
import SectionMessage, { SectionMessageAction } from '@atlaskit/section-message';
import { useState } from 'react';
import type { AppError, backend, Progress } from '../api';
import { ErrorMessage } from '../common/errors';
import { doneText, formatCount, formatDuration, secondsLeft } from '../common/format';
import { RunStatus } from '../common/status';
import { CountTable } from './Counts';

export const phases: { key: string; label: string; doing: string }[] = [
  { key: 'read_tenant', label: 'Read Entra ID', doing: 'Reading Entra ID' },
  { key: 'read_atlassian', label: 'Read Atlassian', doing: 'Reading Atlassian' },
  { key: 'plan', label: 'Plan', doing: 'Planning the changes' },
  { key: 'read_organization', label: 'Look up new groups in the organization', doing: 'Looking up new groups in the organization' },
  { key: 'create_groups', label: 'Create and take over groups', doing: 'Creating and taking over groups' },
  { key: 'users', label: 'Create and update users', doing: 'Creating and updating users' },
  { key: 'add_members', label: 'Add memberships', doing: 'Adding memberships' },
  { key: 'remove_members', label: 'Remove memberships', doing: 'Removing memberships' },
  { key: 'deactivate', label: 'Deactivate users', doing: 'Deactivating users' },
  { key: 'retire_groups', label: 'Retire groups', doing: 'Retiring groups' },
];

/** A phase's name in words (reports carry the stable key). */
export function phaseLabel(key: string): string {
  return phases.find((p) => p.key === key)?.label ?? key.replace(/_/g, ' ');
}

/**
 * What a run in progress is doing, in words: "Adding memberships… 120 of 202". A running run's
 * done and not-done counts are filled in only when it ends, so its counts would read "0 of 0
 * changes made" for the whole sync; the latest phase reported is what is true meanwhile. Empty
 * when no phase has reported yet (the page opened mid-run hears the next event).
 */
export function runningText(progress: Record<string, Progress>): string {
  const p = [...phases].reverse().find((x) => progress[x.key]);
  if (!p) return '';
  const pr = progress[p.key];
  return `${p.doing}…` + (pr.total > 0 ? ` ${formatCount(pr.done)} of ${formatCount(pr.total)}` : '');
}

/** During a sync: one bar per phase with counts, rate and time left, and a cancel that explains itself. */
export function SyncProgress({ progress, onCancel, canceling }: { progress: Record<string, Progress>; onCancel: () => void; canceling: boolean }) {
  const [asking, setAsking] = useState(false);
  const seen = phases.filter((p) => progress[p.key]);
  const last = seen[seen.length - 1]?.key;
  return (
    <section className="progress-panel" aria-labelledby="progress-title" data-testid="sync-progress">
      {/* Cancel sits in the panel's head, above the phase rows: a new phase row grows the panel
          downwards and never moves the button (it sat under the rows and jumped with each). */}
      <div className="progress-head">
        <h3 id="progress-title" className="subhead">
          Sync in progress
        </h3>
        <Button onClick={() => setAsking(true)} isLoading={canceling} testId="sync-cancel">
          Cancel sync
        </Button>
      </div>
      {seen.length === 0 && <p className="muted">Starting…</p>}
      {seen.map((p) => {
        const pr = progress[p.key];
        const frac = pr.total > 0 ? Math.min(1, pr.done / pr.total) : p.key === last ? undefined : 1;
        return (
          <div key={p.key} className="phase" data-testid={`phase-${p.key}`}>
            <div className="phase-head">
              <span>{p.label}</span>
              <span className="muted small">
                {pr.total > 0 ? `${formatCount(pr.done)} of ${formatCount(pr.total)}` : formatCount(pr.done)}
                {pr.rate > 0 && ` · ${formatCount(Math.round(pr.rate))}/s`}
                {p.key === last && pr.total > 0 && pr.done < pr.total && ` · ${secondsLeft(pr.etaSeconds)}`}
              </span>
            </div>
            <ProgressBar ariaLabel={`${p.label} progress`} value={frac ?? 0} isIndeterminate={frac === undefined} />
          </div>
        );
      })}
      <ModalTransition>
        {asking && (
          <ModalDialog onClose={() => setAsking(false)} testId="cancel-dialog">
            <ModalHeader>
              <ModalTitle appearance="warning">Cancel this sync?</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <p>The changes already sent to Atlassian stay: nothing is rolled back. The operations in flight finish; the rest are not made and are recorded in the report as not run.</p>
              <p>Your users and groups may be partly synced until the next sync, which picks up where this one stopped.</p>
            </ModalBody>
            <ModalFooter>
              <Button appearance="subtle" onClick={() => setAsking(false)}>
                Keep syncing
              </Button>
              <Button
                appearance="warning"
                onClick={() => {
                  setAsking(false);
                  onCancel();
                }}
                testId="cancel-confirm"
              >
                Cancel sync
              </Button>
            </ModalFooter>
          </ModalDialog>
        )}
      </ModalTransition>
    </section>
  );
}

/** The result of the last sync started here, with the report. */
export function SyncResult({ run, error, onReport, onDismiss }: { run: backend.RunSummary | null; error: AppError | null; onReport: (runId: string) => void; onDismiss: () => void }) {
  const title = run
    ? { succeeded: 'Sync complete', partial: 'Sync complete with errors', canceled: 'Sync cancelled', failed: 'Sync failed', blocked: 'Sync stopped before writing' }[run.status] ?? 'Sync finished'
    : 'Sync failed';
  const appearance = run?.status === 'succeeded' ? 'success' : run?.status === 'canceled' || run?.status === 'partial' ? 'warning' : 'error';
  return (
    <section className="result" data-testid="sync-result" data-status={run?.status ?? 'error'}>
      <SectionMessage
        appearance={appearance}
        title={title}
        actions={[
          ...(run?.reportPath
            ? [
                <SectionMessageAction key="report" onClick={() => onReport(run.runId)} testId="result-report">
                  View the report
                </SectionMessageAction>,
              ]
            : []),
          <SectionMessageAction key="dismiss" onClick={onDismiss}>
            Dismiss
          </SectionMessageAction>,
        ]}
      >
        {run && (
          <p>
            <RunStatus status={run.status} />{' '}
            <span data-testid="result-done">{doneText(run)}</span>
            {run.durationMillis > 0 && ` in ${formatDuration(run.durationMillis)}`}.
            {run.status === 'canceled' && ' The changes made before you cancelled stay; the next sync makes the rest.'}
          </p>
        )}
        {run && <CountTable counts={run.counts} result="succeeded" testId="result-counts" />}
      </SectionMessage>
      {error && error.code !== 'canceled' && <ErrorMessage error={error} />}
    </section>
  );
}
