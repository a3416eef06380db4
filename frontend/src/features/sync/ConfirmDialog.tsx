import Button from '@atlaskit/button/new';
import { Checkbox } from '@atlaskit/checkbox';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle } from '@atlaskit/modal-dialog';
import SectionMessage from '@atlaskit/section-message';
import { useState } from 'react';
import type { backend } from '../api';
import { codeAction } from '../common/errors';
import { formatCount } from '../common/format';
import { CountTable } from './Counts';

/**
 * The domain confirmation dialog, before every sync the admin starts: the tenant, the exact
 * domains, the plan's counts, threshold warnings and held conflicts. Sync stays disabled until the
 * admin ticks that these are the right tenant and domains.
 */
export function ConfirmDialog({
  plan,
  onConfirm,
  onClose,
  busy,
}: {
  plan: backend.PlanSummary;
  onConfirm: (c: backend.Confirmation) => void;
  onClose: () => void;
  busy?: boolean;
}) {
  const [ticked, setTicked] = useState(false);
  const [override, setOverride] = useState(false);
  const [overrideRemovals, setOverrideRemovals] = useState(false);
  const [overrideShrink, setOverrideShrink] = useState(false);
  const held = (plan.conflicts ?? []).filter((c) => c.decision !== 'take_over');
  const rails = ['threshold_exceeded', 'removal_threshold_exceeded', 'read_shrank'];
  const blocked = (plan.blocked ?? []).filter((b) => !rails.includes(b.code));
  // Each tripped rail needs its own tick: one never lets another by.
  const canSync =
    ticked && blocked.length === 0 && (!plan.thresholdTripped || override) && (!plan.removalThresholdTripped || overrideRemovals) && (!plan.readShrinkTripped || overrideShrink);
  const railMessage = (code: string) => (plan.blocked ?? []).find((b) => b.code === code)?.message;
  return (
    <ModalDialog onClose={onClose} width="large" testId="confirm-dialog" shouldScrollInViewport>
      <ModalHeader>
        <ModalTitle>Confirm the tenant and domains before you sync</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <dl className="kv">
          <dt>Tenant</dt>
          <dd data-testid="confirm-tenant">
            {plan.tenantName} <span className="muted">({plan.tenantId})</span>
          </dd>
          <dt>Initial domain</dt>
          <dd>{plan.initialDomain}</dd>
          <dt>Domains to sync</dt>
          <dd>
            <ul className="plain" data-testid="confirm-domains">
              {(plan.domains ?? []).map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
            {(plan.domains ?? []).length === 0 && <span className="muted">No domain: only external users sync.</span>}
          </dd>
        </dl>
        <h3 className="subhead">What this sync changes</h3>
        <CountTable counts={plan.counts} testId="confirm-counts" />
        {plan.thresholdTripped && (
          <SectionMessage appearance="warning" title="This sync deactivates more users than your threshold" testId="confirm-threshold">
            <p>
              {formatCount(plan.deactivations)} of {formatCount(plan.managedUsers)} managed users would be deactivated. Check the deactivations in
              the preview first.
            </p>
            <Checkbox isChecked={override} onChange={(e) => setOverride(e.currentTarget.checked)} label="Deactivate them anyway, for this sync only" testId="confirm-override" />
          </SectionMessage>
        )}
        {plan.removalThresholdTripped && (
          <SectionMessage appearance="warning" title="This sync removes more group memberships than your threshold" testId="confirm-removal-threshold">
            <p>
              {formatCount(plan.membershipRemovals)} of {formatCount(plan.managedMemberships)} group memberships would be removed
              {plan.deletedGroups > 0 ? `, ${formatCount(plan.deletedGroups)} deleted groups included` : ''}. Check the removals in the preview first.
            </p>
            <Checkbox isChecked={overrideRemovals} onChange={(e) => setOverrideRemovals(e.currentTarget.checked)} label="Remove them anyway, for this sync only" testId="confirm-override-removals" />
          </SectionMessage>
        )}
        {plan.readShrinkTripped && (
          <SectionMessage appearance="warning" title="Entra returned far fewer objects than at the last sync" testId="confirm-read-shrink">
            <p>{railMessage('read_shrank')}</p>
            <Checkbox isChecked={overrideShrink} onChange={(e) => setOverrideShrink(e.currentTarget.checked)} label="The objects were really deleted: sync anyway, for this sync only" testId="confirm-override-read-shrink" />
          </SectionMessage>
        )}
        {held.length > 0 && (
          <SectionMessage appearance="information" title={`${held.length} group conflict${held.length === 1 ? '' : 's'} held`} testId="confirm-conflicts">
            <p>These Atlassian groups have the name of a synced Entra group but are not managed by IdP Sync. They are left as they are:</p>
            <ul className="plain">
              {held.map((c) => (
                <li key={c.groupEntraId}>
                  {c.displayName} — {c.decision === 'skip' ? 'skipped' : 'awaiting your decision in the preview'}
                </li>
              ))}
            </ul>
          </SectionMessage>
        )}
        {blocked.map((b, i) => (
          <SectionMessage key={i} appearance="error" title="This plan cannot be applied" testId="confirm-blocked">
            <p>{b.message}</p>
            <p>{codeAction(b.code, b.action)}</p>
          </SectionMessage>
        ))}
        <div className="confirm-tick">
          <Checkbox
            isChecked={ticked}
            onChange={(e) => setTicked(e.currentTarget.checked)}
            label={`I confirm that ${plan.tenantName} (${plan.tenantId}) is the right tenant and that these are the right domains.`}
            testId="confirm-tick"
          />
        </div>
      </ModalBody>
      <ModalFooter>
        <Button appearance="subtle" onClick={onClose} testId="confirm-cancel">
          Cancel
        </Button>
        <Button
          appearance="primary"
          isDisabled={!canSync}
          isLoading={busy}
          onClick={() => onConfirm({ tenantId: plan.tenantId, domains: plan.domains ?? [], planDigest: plan.digest, overrideThreshold: override, overrideRemovalThreshold: overrideRemovals, overrideReadShrink: overrideShrink })}
          testId="confirm-sync"
        >
          Sync
        </Button>
      </ModalFooter>
    </ModalDialog>
  );
}
