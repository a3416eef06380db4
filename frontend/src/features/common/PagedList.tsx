import Spinner from '@atlaskit/spinner';
import { observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { toAppError, type AppError } from '../api';
import { ErrorMessage } from './errors';

export interface Page<T> {
  rows: T[];
  total: number;
}

/** Loads a list page by page as it scrolls into view; a new key (filters) starts over. */
export function usePaged<T>(key: string, fetchPage: (offset: number, limit: number) => Promise<Page<T>>, pageSize = 200) {
  const [state, setState] = useState<{ key: string; total: number | null; pages: Map<number, T[]>; error: AppError | null }>({
    key: '',
    total: null,
    pages: new Map(),
    error: null,
  });
  const inflight = useRef(new Set<string>());
  const latest = useRef(key); // answers for an older filter are dropped

  const load = useCallback(
    (page: number) => {
      const id = `${key}#${page}`;
      if (inflight.current.has(id)) return;
      inflight.current.add(id);
      // Forgotten once answered: coming back to an earlier filter must fetch it again.
      const done = () => inflight.current.delete(id);
      const ask = () =>
        fetchPage(page * pageSize, pageSize).then(
          (p) => {
            done();
            if (latest.current !== key) return;
            setState((s) => {
              const base = s.key === key ? s : { key, total: null, pages: new Map<number, T[]>(), error: null };
              const pages = new Map(base.pages);
              pages.set(page, p.rows);
              return { ...base, total: p.total, pages };
            });
          },
          (e) => {
            const err = toAppError(e);
            // The backend answers "canceled" to a search a newer one superseded (report.View's
            // NewestOperations). Typing "ab", then back to "a" while "a" still ran: this filter
            // is the newest again, so it is asked again rather than shown as an error.
            if (latest.current === key && err.code === 'canceled') return void ask();
            done();
            if (latest.current !== key) return;
            setState((s) => ({ ...(s.key === key ? s : { key, pages: new Map<number, T[]>() }), key, error: err, total: 0 }));
          },
        );
      void ask();
    },
    // fetchPage changes exactly when key does (the caller memoizes it on the same inputs).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [key, pageSize],
  );

  useEffect(() => {
    latest.current = key;
    load(0);
  }, [key, load]);

  // A performance mark once a filter's first rows are committed to the page: the e2e reads it in
  // Chromium for the time from keystroke to rendered rows (frontend/e2e/scenarios/filterl.mjs).
  const firstPage = state.key === key && state.pages.has(0);
  const marked = useRef('');
  useEffect(() => {
    if (!firstPage || marked.current === key) return;
    marked.current = key;
    performance.mark('idpsync:rows', { detail: key });
  }, [firstPage, key]);

  const current = state.key === key ? state : { total: null, pages: new Map<number, T[]>(), error: null };
  const row = (i: number): T | undefined => {
    const page = Math.floor(i / pageSize);
    const rows = current.pages.get(page);
    if (!rows) {
      queueMicrotask(() => load(page));
      return undefined;
    }
    return rows[i - page * pageSize];
  };
  return { total: current.total, error: current.error, row, loaded: current.pages.size > 0 };
}

/**
 * A virtualized list: only the rows in view exist in the DOM, so 100,000 rows scroll and filter
 * without freezing. Rows not loaded yet show a placeholder line.
 */
export function VirtualList<T>({
  count,
  row,
  renderRow,
  rowHeight = 44,
  height = 480,
  label,
  header,
  testId,
}: {
  count: number;
  row: (i: number) => T | undefined;
  renderRow: (item: T, index: number) => ReactNode;
  rowHeight?: number;
  height?: number;
  label: string;
  header?: ReactNode;
  testId?: string;
}) {
  const parent = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library
  const v = useVirtualizer({
    count,
    getScrollElement: () => parent.current,
    estimateSize: () => rowHeight,
    overscan: 8,
    initialRect: { width: 800, height },
    // A list measured at zero height (a hidden tab, a test without layout) still renders a first
    // window of rows instead of none.
    observeElementRect: (instance, cb) => observeElementRect(instance, (r) => cb(r.height > 0 ? r : { width: r.width || 800, height })),
  });
  return (
    <div className="vlist" data-testid={testId}>
      {header && <div className="vlist-header" role="presentation">{header}</div>}
      <div ref={parent} className="vlist-scroll" style={{ height: Math.min(height, Math.max(rowHeight, count * rowHeight)) }} role="list" aria-label={label} tabIndex={0}>
        <div style={{ height: v.getTotalSize(), position: 'relative', width: '100%' }}>
          {v.getVirtualItems().map((vi) => {
            const item = row(vi.index);
            return (
              <div
                key={vi.key}
                role="listitem"
                className="vlist-row"
                style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: rowHeight, transform: `translateY(${vi.start}px)` }}
              >
                {item === undefined ? <span className="muted">Loading…</span> : renderRow(item, vi.index)}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

/** Loading, error and empty states around a paged list. */
export function PagedState({ total, error, empty, children }: { total: number | null; error: AppError | null; empty: ReactNode; children: ReactNode }) {
  if (error) return <ErrorMessage error={error} />;
  if (total === null)
    return (
      <div className="center-pad">
        <Spinner label="Loading" />
      </div>
    );
  if (total === 0) return <>{empty}</>;
  return <>{children}</>;
}

/** Debounces a value so that typing does not send a request per keystroke. */
export function useDebounced<T>(value: T, ms = 150): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
