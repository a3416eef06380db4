import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import Textfield from '@atlaskit/textfield';
import { useMemo, useState } from 'react';
import { ReportService, type app, type report } from '../api';
import { ErrorMessage } from '../common/errors';
import { useLoad } from '../common/loading';
import { formatCount, formatDate, labelOf, plural } from '../common/format';
import { VirtualList } from '../common/PagedList';
import { objectTypeText, skipReasonText } from '../common/ops';
import { runText } from '../common/status';

const results: Record<string, string> = { planned: 'planned', succeeded: 'made', failed: 'failed', skipped: 'skipped' };

function resultText(r: string): string {
  return results[r] ?? r;
}

function leftOut(code?: string): string {
  return code ? `left out (${skipReasonText(code)})` : 'in scope';
}

/** One object's differences in words; codes are never shown bare. */
export function describeDiff(o: report.ObjectDiff): string {
  const parts: string[] = [];
  for (const a of o.added ?? []) parts.push(`+ ${labelOf(a.action)}${a.group ? ` ${a.group}` : ''} (${resultText(a.result)})`);
  for (const r of o.removed ?? []) parts.push(`− ${labelOf(r.action)}${r.group ? ` ${r.group}` : ''}`);
  for (const c of o.changed ?? []) parts.push(`~ ${labelOf(c.action)}${c.group ? ` ${c.group}` : ''}: ${resultText(c.resultA)} → ${resultText(c.resultB)}`);
  if (o.skipA !== o.skipB) parts.push(`${leftOut(o.skipA)} → ${leftOut(o.skipB)}`);
  if (o.membersAdded) parts.push(`${plural(o.membersAdded, 'membership')} new`);
  if (o.membersRemoved) parts.push(`${plural(o.membersRemoved, 'membership')} gone`);
  return parts.join('; ');
}

/** What changed between two reports, per user and group. */
export function Comparison({ older, newer }: { older: app.ReportHandle; newer: app.ReportHandle }) {
  const { value: cmp, error } = useLoad(() => ReportService.Compare(older.id, newer.id), [older.id, newer.id]);
  const [filter, setFilter] = useState('');
  const objects = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const all = cmp?.diff?.objects ?? [];
    return f ? all.filter((o) => `${o.name} ${o.email ?? ''}`.toLowerCase().includes(f)) : all;
  }, [cmp, filter]);
  if (error) return <ErrorMessage error={error} />;
  if (!cmp?.diff) return <Spinner label="Comparing" />;
  const d = cmp.diff;
  return (
    <div data-testid="comparison">
      <p>
        From <strong>{formatDate(d.a.started as unknown as string)}</strong> ({runText(d.a.kind, d.a.status)}) to{' '}
        <strong>{formatDate(d.b.started as unknown as string)}</strong> ({runText(d.b.kind, d.b.status)}).
      </p>
      {!d.sameTenant && (
        <SectionMessage appearance="warning" title="Different tenants">
          <p>
            These reports are of different tenants ({d.a.tenantName}, {d.b.tenantName}).
          </p>
        </SectionMessage>
      )}
      <p data-testid="comparison-totals">
        {plural(d.totals.objects, 'object')} differ: {plural(d.totals.users, 'user')} and {plural(d.totals.groups, 'group')};{' '}
        {formatCount(d.totals.added)} operations new, {formatCount(d.totals.removed)} gone, {formatCount(d.totals.resultChanged)} with another result.
      </p>
      {cmp.truncated && <p className="muted">Only the first {formatCount(d.objects.length)} objects are listed.</p>}
      <Textfield aria-label="Filter objects" placeholder="Filter by name or email" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} />
      <VirtualList
        label="Differences"
        count={objects.length}
        row={(i) => objects[i]}
        rowHeight={52}
        height={400}
        renderRow={(o) => (
          <div className="diff-row">
            <strong>{o.name}</strong> <span className="muted small">{objectTypeText(o.type)}</span>
            <div className="small">{describeDiff(o)}</div>
          </div>
        )}
      />
    </div>
  );
}
