import SectionMessage from '@atlaskit/section-message';
import type { backend } from '../api';
import { formatCount } from '../common/format';

/**
 * What the plan could not see or must say plainly: conflicts outside the SCIM directory that
 * cannot be detected without an organization key, users Atlassian may refuse, another directory
 * on the same tenant; and each Entra rename, which Atlassian carries out as create the new group,
 * copy its members, retire the old one — the old group still grants access to its members.
 */
export function PlanNotices({ plan }: { plan: backend.PlanSummary }) {
  const notices = plan.notices ?? [];
  const renames = plan.renames ?? [];
  if (notices.length === 0 && renames.length === 0) return null;
  return (
    <div className="plan-notices" data-testid="plan-notices">
      {notices.map((n, i) => (
        <SectionMessage key={i} appearance="information" testId={`plan-notice-${i}`}>
          <p>{n}</p>
        </SectionMessage>
      ))}
      {renames.length > 0 && (
        <SectionMessage appearance="warning" title={`Group renames (${renames.length})`} testId="plan-renames">
          <p>Atlassian cannot rename a group. Each rename creates the new group, copies its members, then retires the old one.</p>
          <ul className="plain small">
            {renames.map((r) => (
              <li key={r.entraId + r.oldScimId} data-testid={`rename-${r.newName}`}>
                {r.oldName} → {r.newName}:{' '}
                {r.deleted
                  ? 'the old group is deleted, with the access it grants.'
                  : `the old group still grants access to ${formatCount(r.stillGrants)} people until you finish the rename.`}
              </li>
            ))}
          </ul>
        </SectionMessage>
      )}
    </div>
  );
}
