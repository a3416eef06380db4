import type { CountLike } from '../common/format';
import { formatCount, sumBy } from '../common/format';

/** The plan's counts as the confirmation dialog and the overview list them. */
export const planRows: { label: string; action: string }[] = [
  { label: 'Users created', action: 'create_user' },
  { label: 'Users updated', action: 'update_user' },
  { label: 'Existing accounts adopted', action: 'adopt_user' },
  { label: 'Users reactivated', action: 'reactivate_user' },
  { label: 'Users deactivated', action: 'deactivate_user' },
  { label: "Users' access restored", action: 'restore_user' },
  { label: "Users' access suspended", action: 'suspend_user' },
  { label: 'Groups created', action: 'create_group' },
  { label: 'Groups taken over', action: 'adopt_group' },
  { label: 'Group memberships added', action: 'add_member' },
  { label: 'Group memberships removed', action: 'remove_member' },
  { label: 'Groups no longer managed', action: 'retire_group' },
  { label: 'Groups deleted', action: 'delete_group' },
];

export function CountTable({ counts, testId, result }: { counts: CountLike[] | undefined; testId?: string; result?: string }) {
  return (
    <table className="count-table" data-testid={testId}>
      <tbody>
        {planRows.map((r) => {
          const n = sumBy(counts, { action: r.action, result });
          if (n === 0 && !['create_user', 'update_user', 'deactivate_user', 'create_group', 'add_member', 'remove_member'].includes(r.action)) return null;
          return (
            <tr key={r.action} data-testid={`count-${r.action}`}>
              <th scope="row">{r.label}</th>
              <td className="num">{formatCount(n)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
