import Lozenge from '@atlaskit/lozenge';
import type { backend } from '../api';
import { DecisionButton } from './DecisionButton';

/**
 * A conflict with a group outside the SCIM directory (read through the Organizations API, or
 * learnt from Atlassian's 409): IdP Sync cannot take it over, so the admin skips it or resolves it
 * in admin.atlassian.com and retries. A default access group says so.
 */
export function OrgConflict({
  c,
  busy,
  decide,
}: {
  c: backend.Conflict;
  busy: string | null;
  decide: (c: backend.Conflict, decision: string) => Promise<void>;
}) {
  return (
    <div className="conflict-card" data-testid={`conflict-${c.displayName}`} data-scope={c.scope}>
      <div className="conflict-head">
        <strong>{c.displayName}</strong>
        {c.defaultAccess && <Lozenge appearance="removed">Default access group</Lozenge>}
        <Lozenge>Outside the SCIM directory</Lozenge>
        {c.decision === 'skip' ? (
          <Lozenge>Skipped</Lozenge>
        ) : c.decision === 'retry' ? (
          <Lozenge appearance="inprogress">Retry</Lozenge>
        ) : (
          <Lozenge appearance="moved">Needs a decision</Lozenge>
        )}
      </div>
      <p className="small" data-testid="conflict-hint">
        {c.hint}
      </p>
      <div className="row-gap">
        <DecisionButton c={c} decision="skip" busy={busy} decide={decide} testId="conflict-skip">
          Skip
        </DecisionButton>
        <DecisionButton c={c} decision="retry" busy={busy} decide={decide} testId="conflict-retry">
          Resolved in Atlassian: retry
        </DecisionButton>
      </div>
    </div>
  );
}
