import { labelOf } from './format';

/** What the preview's and the report's operations have in common (backend and report DTOs). */
export interface OpLike {
  action: string;
  object: { type: string; name: string; email?: string };
  group?: { name: string };
  chain?: string[];
  changes?: { attribute: string; old: string; new: string }[];
  result: string;
}

/** One operation as a line: action, object, and for memberships the group and the chain. */
export function OpLine({ op, showResult = false }: { op: OpLike; showResult?: boolean }) {
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

/** One object left out of scope, with its reason. */
export function SkipLine({ skip }: { skip: { object: { type: string; name: string; email?: string }; reason: string; detail?: string } }) {
  return (
    <div className="op-line">
      <span className="op-action">{skip.object.type}</span>
      <span className="op-object">
        {skip.object.name} {skip.object.email && <span className="muted">{skip.object.email}</span>}
      </span>
      <span className="op-group">
        {skip.reason.replace(/_/g, ' ')}
        {skip.detail && <span className="muted small"> {skip.detail}</span>}
      </span>
    </div>
  );
}

/** An object's attribute changes, old and new. */
export function ChangesTable({ changes, before = 'Before', after = 'After' }: { changes?: OpLike['changes']; before?: string; after?: string }) {
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
