import Button from '@atlaskit/button/new';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle } from '@atlaskit/modal-dialog';
import type { report } from '../api';
import { labelOf } from './format';

/** One operation as a line: action, object, and for memberships the group and the chain. */
export function OpLine({ op, showResult = false }: { op: report.Operation; showResult?: boolean }) {
  return (
    <div className="op-line">
      <span className={`op-action op-${op.action}`}>{labelOf(op.action)}</span>
      <span className="op-object">
        {op.object.name}
        {op.object.email && op.object.email !== op.object.name && <span className="muted"> {op.object.email}</span>}
      </span>
      <span className="op-group">
        {op.group && (
          <>
            {op.group.name}
            {op.chain && op.chain.length > 1 && <span className="muted small"> via {op.chain.join(' › ')}</span>}
          </>
        )}
        {op.changes && op.changes.length > 0 && <span className="muted small">{op.changes.map((c) => c.attribute).join(', ')}</span>}
      </span>
      {showResult && <span className={`op-result res-${op.result}`}>{op.result}</span>}
    </div>
  );
}

/** Why an object was left out, in words; the stable code (internal/engine/scope.go) is secondary. */
export const skipReasons: Record<string, string> = {
  unverified_domain: 'Email domain not verified in Entra ID',
  domain_not_selected: 'Email domain not selected in the sync settings',
  no_email: 'No email or user principal name to sign in with',
  outside_selected_groups: 'Not a member of the groups selected for syncing',
  over_group_limit: 'Group has more users than the per-group limit',
  over_directory_limit: 'Over the directory user limit',
  unsupported_member_type: 'Member type that Atlassian groups cannot hold (device, contact or service principal)',
  duplicate_email: 'Another Entra user has the same email',
  duplicate_group_name: 'Another Entra group has the same name',
  no_group_name: 'Group without a display name',
  external_excluded: 'External user, and external users are not synced',
  disabled_not_created: 'Disabled in Entra ID, so not created in Atlassian',
  protected_group: 'Protected group: never changed by IdP Sync',
  conflict_skipped: 'Same-named Atlassian group that you chose to skip',
  username_taken: 'Email already used by an Atlassian account linked to another Entra user',
};

export function skipReasonText(code: string): string {
  return skipReasons[code] ?? code.replace(/_/g, ' ');
}

const objectTypes: Record<string, string> = { user: 'User', group: 'Group', member: 'Group member' };

export function objectTypeText(t: string): string {
  return objectTypes[t] ?? t;
}

/** The column heads of the left-out lists. */
export function SkipHead() {
  return (
    <div className="skip-line skip-head" aria-hidden="true">
      <span>Name</span>
      <span>Email</span>
      <span>Type</span>
      <span>Why it is left out</span>
    </div>
  );
}

/** One object left out of scope: name, email, type and the reason in words (code secondary). */
export function SkipLine({ skip }: { skip: report.Skip }) {
  const why = skipReasonText(skip.reason);
  return (
    <div className="skip-line" data-testid="skip-line">
      <span className="op-object" title={skip.object.name} data-testid="skip-name">
        {skip.object.name || <span className="muted">(no name)</span>}
      </span>
      <span className="muted" title={skip.object.email} data-testid="skip-email">
        {skip.object.email || '—'}
      </span>
      <span data-testid="skip-type">{objectTypeText(skip.object.type)}</span>
      <span title={`${why}${skip.detail ? ` (${skip.detail})` : ''} · ${skip.reason}`} data-testid="skip-reason">
        {why}
        {skip.detail && <span className="muted small"> ({skip.detail})</span>}
      </span>
    </div>
  );
}

/** A detail dialog's footer: one Close button, focused. */
export function CloseFooter({ onClose }: { onClose: () => void }) {
  return (
    <ModalFooter>
      <Button appearance="primary" onClick={onClose} autoFocus>
        Close
      </Button>
    </ModalFooter>
  );
}

/** Everything known about one left-out object, with the reason code for support. */
export function SkipDetail({ skip, onClose }: { skip: report.Skip; onClose: () => void }) {
  return (
    <ModalDialog onClose={onClose} testId="skip-detail">
      <ModalHeader>
        <ModalTitle>{skip.object.name || '(no name)'}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <dl className="kv">
          <dt>Type</dt>
          <dd>{objectTypeText(skip.object.type)}</dd>
          <dt>Email</dt>
          <dd>{skip.object.email || '—'}</dd>
          {skip.object.entraId && (
            <>
              <dt>Entra object ID</dt>
              <dd>{skip.object.entraId}</dd>
            </>
          )}
          <dt>Why it is left out</dt>
          <dd data-testid="skip-detail-reason">{skipReasonText(skip.reason)}</dd>
          {skip.detail && (
            <>
              <dt>Detail</dt>
              <dd>{skip.detail}</dd>
            </>
          )}
          <dt>Reason code</dt>
          <dd className="muted small">{skip.reason}</dd>
        </dl>
        <p className="muted small">Change the domains or groups in Sync settings to bring it into scope, where the reason allows it.</p>
      </ModalBody>
      <CloseFooter onClose={onClose} />
    </ModalDialog>
  );
}

/** An object's attribute changes, old and new. */
export function ChangesTable({ changes, before = 'Before', after = 'After' }: { changes?: report.Change[]; before?: string; after?: string }) {
  if (!changes || changes.length === 0) return null;
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th>Attribute</th>
          <th>{before}</th>
          <th>{after}</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.attribute}>
            <td>{c.attribute}</td>
            <td>{c.old || '—'}</td>
            <td>{c.new || '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
