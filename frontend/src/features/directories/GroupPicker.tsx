import Button from '@atlaskit/button/new';
import { Checkbox } from '@atlaskit/checkbox';
import ChevronDownIcon from '@atlaskit/icon/core/chevron-down';
import ChevronRightIcon from '@atlaskit/icon/core/chevron-right';
import Lozenge from '@atlaskit/lozenge';
import Spinner from '@atlaskit/spinner';
import Textfield from '@atlaskit/textfield';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { DirectoryService, toAppError, type AppError, type backend } from '../api';
import { ErrorMessage } from '../common/errors';
import { formatCount, plural } from '../common/format';
import { useDebounced, VirtualList } from '../common/PagedList';

interface Row {
  node: backend.GroupNode;
  depth: number;
  path: string[]; // ancestor ids, for "included by a selected parent"
}

const pageLimit = 1000;

/** Reads every page of one level (or of a search): the picker keeps a level whole to scroll it. */
async function readAll(id: string, q: backend.GroupQuery): Promise<backend.GroupNode[]> {
  const out: backend.GroupNode[] = [];
  for (let offset = 0; ; offset += pageLimit) {
    const p = await DirectoryService.Groups(id, { ...q, offset, limit: pageLimit });
    out.push(...(p.groups ?? []));
    if (out.length >= p.total || (p.groups ?? []).length === 0) return out;
  }
}

/**
 * The group picker: the Entra groups as a tree (nested subgroups under their parents) with their
 * transitive user counts, searchable, virtualized so that 10,000 groups stay fast. Selecting a
 * group brings its subgroups.
 */
export function GroupPicker({ directoryId, selected, onChange }: { directoryId: string; selected: string[]; onChange: (ids: string[]) => void }) {
  const [top, setTop] = useState<backend.GroupNode[] | null>(null);
  const [children, setChildren] = useState<Map<string, backend.GroupNode[]>>(new Map());
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 200);
  const [result, setResult] = useState<{ q: string; groups: backend.GroupNode[] } | null>(null);
  const found = result && result.q === q ? result.groups : null;
  const [error, setError] = useState<AppError | null>(null);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const sel = useMemo(() => new Set(selected), [selected]);

  const remember = useCallback((ns: backend.GroupNode[]) => {
    setNames((m) => {
      const n = new Map(m);
      for (const g of ns) n.set(g.id, g.displayName);
      return n;
    });
  }, []);

  useEffect(() => {
    let live = true;
    readAll(directoryId, {} as backend.GroupQuery).then(
      (gs) => {
        if (!live) return;
        setTop(gs);
        remember(gs);
      },
      (e) => live && setError(toAppError(e)),
    );
    return () => {
      live = false;
    };
  }, [directoryId, remember]);

  useEffect(() => {
    if (!q) return;
    let live = true;
    DirectoryService.Groups(directoryId, { search: q, offset: 0, limit: pageLimit }).then(
      (p) => {
        if (!live) return;
        setResult({ q, groups: p.groups ?? [] });
        remember(p.groups ?? []);
      },
      (e) => live && setError(toAppError(e)),
    );
    return () => {
      live = false;
    };
  }, [q, directoryId, remember]);

  const toggleExpand = async (g: backend.GroupNode) => {
    const next = new Set(expanded);
    if (next.has(g.id)) {
      next.delete(g.id);
      setExpanded(next);
      return;
    }
    next.add(g.id);
    setExpanded(next);
    if (!children.has(g.id)) {
      try {
        const kids = await readAll(directoryId, { parentId: g.id } as backend.GroupQuery);
        remember(kids);
        setChildren((m) => new Map(m).set(g.id, kids));
      } catch (e) {
        setError(toAppError(e));
      }
    }
  };

  const rows = useMemo<Row[]>(() => {
    if (q) return (found ?? []).map((node) => ({ node, depth: 0, path: [] }));
    const out: Row[] = [];
    const walk = (nodes: backend.GroupNode[], depth: number, path: string[]) => {
      for (const node of nodes) {
        out.push({ node, depth, path });
        if (expanded.has(node.id) && !path.includes(node.id)) {
          const kids = children.get(node.id);
          if (kids) walk(kids, depth + 1, [...path, node.id]);
        }
      }
    };
    walk(top ?? [], 0, []);
    return out;
  }, [q, found, top, expanded, children]);

  const toggle = (id: string) => onChange(sel.has(id) ? selected.filter((x) => x !== id) : [...selected, id]);

  if (error) return <ErrorMessage error={error} title="The groups could not be read" />;
  const loading = top === null || (q !== '' && found === null);
  return (
    <div className="group-picker" data-testid="group-picker">
      <div className="row-gap">
        <div className="grow">
          <Textfield
            aria-label="Search groups"
            placeholder="Search groups by name"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            testId="group-search"
          />
        </div>
        <span className="muted" data-testid="group-selected-count">
          {formatCount(selected.length)} selected
        </span>
      </div>
      {selected.length > 0 && (
        <div className="tag-row" aria-label="Selected groups">
          {selected.slice(0, 20).map((id) => (
            <Button key={id} appearance="subtle" spacing="compact" onClick={() => toggle(id)} aria-label={`Remove ${names.get(id) ?? id}`}>
              {(names.get(id) ?? id) + ' ✕'}
            </Button>
          ))}
          {selected.length > 20 && <span className="muted">and {formatCount(selected.length - 20)} more</span>}
        </div>
      )}
      {loading ? (
        <div className="center-pad">
          <Spinner label="Loading groups" />
        </div>
      ) : rows.length === 0 ? (
        <p className="muted">{q ? 'No group matches this search.' : 'The tenant has no groups.'}</p>
      ) : (
        <VirtualList
          label="Groups"
          count={rows.length}
          row={(i) => rows[i]}
          rowHeight={40}
          height={360}
          testId="group-tree"
          header={
            <div className="group-row head">
              <span>Group</span>
              <span>Users (with subgroups)</span>
            </div>
          }
          renderRow={(r) => {
            const implied = !sel.has(r.node.id) && (r.path.some((p) => sel.has(p)) || (!q && r.node.implied));
            return (
              <div className="group-row" style={{ paddingLeft: r.depth * 20 }} data-testid="group-row">
                <span className="group-name">
                  {r.node.hasChildren && !q ? (
                    <button
                      type="button"
                      className="expander"
                      aria-expanded={expanded.has(r.node.id)}
                      aria-label={`${expanded.has(r.node.id) ? 'Collapse' : 'Expand'} ${r.node.displayName}`}
                      onClick={() => void toggleExpand(r.node)}
                    >
                      {expanded.has(r.node.id) ? <ChevronDownIcon label="" size="small" /> : <ChevronRightIcon label="" size="small" />}
                    </button>
                  ) : (
                    <span className="expander-space" />
                  )}
                  <Checkbox
                    isChecked={sel.has(r.node.id) || implied}
                    isDisabled={implied}
                    onChange={() => toggle(r.node.id)}
                    label={r.node.displayName}
                    testId={`group-check-${r.node.id}`}
                  />
                  {implied && <span className="muted small">included by a selected parent</span>}
                  {r.node.subgroups > 0 && <span className="muted small">{plural(r.node.subgroups, 'subgroup')}</span>}
                  {r.node.overLimit && <Lozenge appearance="removed">Over 35,000 users</Lozenge>}
                </span>
                <span className="num">{formatCount(r.node.users)}</span>
              </div>
            );
          }}
        />
      )}
    </div>
  );
}
