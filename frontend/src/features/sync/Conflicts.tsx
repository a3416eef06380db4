import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import { useState } from 'react';
import { SyncService, toAppError, type AppError, type backend } from '../api';
import { ErrorMessage } from '../common/errors';
import { formatCount } from '../common/format';
import { DecisionButton } from './DecisionButton';
import { OrgConflict } from './OrgConflict';

/**
 * Group conflicts: an Atlassian group with the name of a synced Entra group that IdP Sync does not
 * manage. Taking it over overwrites its members (who is added and removed is listed); skipping
 * leaves it alone.
 */
export function Conflicts({ plan, onPlan }: { plan: backend.PlanSummary; onPlan: (p: backend.PlanSummary) => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const conflicts = plan.conflicts ?? [];
  if (conflicts.length === 0) return null;
  const decide = async (c: backend.Conflict, decision: string) => {
    setBusy(c.groupEntraId + decision);
    setError(null);
    try {
      onPlan(await SyncService.DecideConflict(plan.planId, c.groupEntraId, decision));
    } catch (e) {
      setError(toAppError(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="conflicts" aria-labelledby="conflicts-title" data-testid="conflicts">
      <SectionMessage appearance="warning" title={`Group name conflicts (${conflicts.length})`}>
        <p id="conflicts-title">
          These groups already exist in your Atlassian organization and are not managed by IdP Sync. Take a group over to sync its members
          from Entra (its current members are overwritten), or skip it.
        </p>
      </SectionMessage>
      {error && <ErrorMessage error={error} />}
      {conflicts.map((c) =>
        c.scope === 'organization' ? (
          <OrgConflict key={c.groupEntraId} c={c} busy={busy} decide={decide} />
        ) : (
        <div key={c.groupEntraId} className="conflict-card" data-testid={`conflict-${c.displayName}`}>
          <div className="conflict-head">
            <strong>{c.displayName}</strong>
            {c.decision === 'take_over' ? (
              <Lozenge appearance="success">Taking over</Lozenge>
            ) : c.decision === 'skip' ? (
              <Lozenge>Skipped</Lozenge>
            ) : (
              <Lozenge appearance="moved">Needs a decision</Lozenge>
            )}
          </div>
          <div className="conflict-cols">
            <div>
              <div className="muted">Users added if taken over: {formatCount(c.addCount)}</div>
              <ul className="plain small">
                {(c.wouldAdd ?? []).slice(0, 8).map((u) => (
                  <li key={u}>+ {u}</li>
                ))}
                {c.addCount > 8 && <li className="muted">and {formatCount(c.addCount - 8)} more</li>}
              </ul>
            </div>
            <div>
              <div className="muted">Users removed if taken over: {formatCount(c.removeCount)}</div>
              <ul className="plain small">
                {(c.wouldRemove ?? []).slice(0, 8).map((u) => (
                  <li key={u}>− {u}</li>
                ))}
                {c.removeCount > 8 && <li className="muted">and {formatCount(c.removeCount - 8)} more</li>}
              </ul>
            </div>
          </div>
          <div className="row-gap">
            <DecisionButton c={c} decision="take_over" busy={busy} decide={decide} testId="conflict-take-over">
              Take over
            </DecisionButton>
            <DecisionButton c={c} decision="skip" busy={busy} decide={decide} testId="conflict-skip">
              Skip
            </DecisionButton>
          </div>
        </div>
        ),
      )}
    </section>
  );
}
