import ModalDialog, { ModalBody, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import Select from '@atlaskit/select';
import Tabs, { Tab, TabList, TabPanel } from '@atlaskit/tabs';
import Textfield from '@atlaskit/textfield';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ReportService, report, toAppError, type app, type AppError } from '../api';
import { formatCount, labelOf, membershipActions, plural } from './format';
import { ChangesTable, CloseFooter, OpLine, SkipDetail, SkipHead, SkipLine } from './ops';
import { PagedState, usePaged, VirtualList } from './PagedList';

/**
 * Opens the report of a run for paging and forgets it when the screen leaves it (or the run
 * changes). The preview pages its plan through its preview report, as the report screen pages a
 * run's: one operation model (report.View) behind both.
 */
export function useRunReport(runId: string | undefined): { handle: app.ReportHandle | null; error: AppError | null } {
  const [opened, setOpened] = useState<{ runId: string; handle: app.ReportHandle | null; error: AppError | null } | null>(null);
  useEffect(() => {
    if (!runId) return;
    let live = true;
    let id = '';
    ReportService.OpenRun(runId).then(
      (h) => {
        id = h.id;
        if (live) setOpened({ runId, handle: h, error: null });
        else forget(id);
      },
      (e) => live && setOpened({ runId, handle: null, error: toAppError(e) }),
    );
    return () => {
      live = false;
      if (id) forget(id);
    };
  }, [runId]);
  return opened && opened.runId === runId ? { handle: opened.handle, error: opened.error } : { handle: null, error: null };
}

function forget(id: string) {
  // A report the backend already dropped (it keeps a few) needs no forgetting.
  void Promise.resolve()
    .then(() => ReportService.Forget(id))
    .catch(() => {});
}

// Every action, in the order Go lists them (report.Actions); results likewise.
const actions: string[] = Object.values(report.Action);
const actionFilter = [{ label: 'All changes', value: '' }, ...actions.map((a) => ({ label: labelOf(a), value: a }))];
const results: string[] = [report.Result.Succeeded, report.Result.Failed, report.Result.Skipped, report.Result.Planned];
const resultFilter = [{ label: 'All results', value: '' }, ...results.map((r) => ({ label: r[0].toUpperCase() + r.slice(1), value: r }))];

/**
 * A run's operations and what it left out, in two tabs: virtualized (100,000 rows scroll), searched
 * and filtered by change type (and, for an applied run, by result), each row opening its detail.
 * The preview and the report screen show their lists through this one panel.
 */
export function OperationsPanel({ handle, applied, emptyText }: { handle: app.ReportHandle; applied: boolean; emptyText: ReactNode }) {
  const s = handle.summary;
  const noun = applied ? 'operation' : 'change';
  const [search, setSearch] = useState('');
  const [action, setAction] = useState('');
  const [result, setResult] = useState('');
  // Not debounced: each keystroke asks at once, and the backend stops the query it supersedes
  // (report.View.NewestOperations; an L search costs tens of ms), so a debounce would only add
  // its delay to every answer (150 ms of a 200 ms target, issue 15).
  const q = search.trim();
  const [detail, setDetail] = useState<report.Operation | null>(null);
  const [skipDetail, setSkipDetail] = useState<report.Skip | null>(null);
  const fetchOps = useCallback(
    (offset: number, limit: number) =>
      ReportService.Operations(handle.id, { text: q, actions: action ? [action] : [], results: result ? [result] : [], offset, limit } as report.Query).then((p) => ({
        rows: p.rows ?? [],
        total: p.total,
      })),
    [handle.id, q, action, result],
  );
  const ops = usePaged(`${handle.id}|${q}|${action}|${result}`, fetchOps);
  const [skipText, setSkipText] = useState('');
  const sq = skipText.trim(); // not debounced either (NewestSkips)
  const fetchSkips = useCallback(
    (offset: number, limit: number) => ReportService.Skips(handle.id, { text: sq, offset, limit } as report.Query).then((p) => ({ rows: p.rows ?? [], total: p.total })),
    [handle.id, sq],
  );
  const skips = usePaged(`${handle.id}|skips|${sq}`, fetchSkips);
  const filtered = Boolean(q || action || result);

  return (
    <>
      <Tabs id="operations-tabs">
        <TabList>
          <Tab testId="tab-ops">
            {applied ? 'Operations' : 'Changes'} ({formatCount(s.operations)})
          </Tab>
          <Tab testId="tab-skips">Left out ({formatCount(s.skips)})</Tab>
        </TabList>
        <TabPanel>
          <div className="tab-pad">
            <div className="filter-row">
              <div className="grow">
                <Textfield
                  aria-label={`Search ${noun}s`}
                  placeholder="Search names, emails, groups, codes"
                  value={search}
                  onChange={(e) => setSearch(e.currentTarget.value)}
                  testId="ops-search"
                />
              </div>
              <div className="filter-select">
                <Select
                  aria-label="Change type"
                  inputId="change-type"
                  options={actionFilter}
                  value={actionFilter.find((c) => c.value === action)}
                  onChange={(o) => setAction(o?.value ?? '')}
                  testId="ops-filter"
                />
              </div>
              {applied && (
                <div className="filter-select">
                  <Select aria-label="Result" options={resultFilter} value={resultFilter.find((a) => a.value === result)} onChange={(o) => setResult(o?.value ?? '')} testId="ops-result" />
                </div>
              )}
            </div>
            <p className="muted small" data-testid="ops-total" aria-live="polite">
              {ops.total === null ? 'Loading…' : plural(ops.total, filtered ? `matching ${noun}` : noun)}
            </p>
            <PagedState total={ops.total} error={ops.error} empty={filtered ? <p className="muted">No {noun} matches.</p> : emptyText}>
              <VirtualList
                label={applied ? 'Operations' : 'Planned changes'}
                count={ops.total ?? 0}
                row={ops.row}
                testId="ops-list"
                renderRow={(op) => (
                  <button type="button" className="row-button" onClick={() => setDetail(op)} data-testid="op-row">
                    <OpLine op={op} showResult={applied} />
                  </button>
                )}
              />
            </PagedState>
          </div>
        </TabPanel>
        <TabPanel>
          <div className="tab-pad">
            <Textfield aria-label="Search left-out objects" placeholder="Search by name or email" value={skipText} onChange={(e) => setSkipText(e.currentTarget.value)} testId="skips-search" />
            <PagedState total={skips.total} error={skips.error} empty={<p className="muted">Nothing is left out.</p>}>
              <VirtualList
                label="Left out of scope"
                count={skips.total ?? 0}
                row={skips.row}
                testId="skips-list"
                header={<SkipHead />}
                renderRow={(sk) => (
                  <button type="button" className="row-button" onClick={() => setSkipDetail(sk)} data-testid="skip-row">
                    <SkipLine skip={sk} />
                  </button>
                )}
              />
            </PagedState>
          </div>
        </TabPanel>
      </Tabs>
      <ModalTransition>{detail && <OperationDetail handleId={handle.id} counts={s.counts} op={detail} onClose={() => setDetail(null)} />}</ModalTransition>
      <ModalTransition>{skipDetail && <SkipDetail skip={skipDetail} onClose={() => setSkipDetail(null)} />}</ModalTransition>
    </>
  );
}

/** A user's or group's detail: result, ids, attribute changes, and for a user every group with its chain. */
export function OperationDetail({ handleId, counts, op, onClose }: { handleId: string; counts: report.Count[] | undefined; op: report.Operation; onClose: () => void }) {
  const [fetched, setMemberships] = useState<report.Operation[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const isUser = op.object.type === 'user';
  // The run's membership actions as its summary counted them; none means no query (an empty
  // action list would match every operation) and no memberships.
  const actions = membershipActions(counts).join(',');
  const memberships = actions ? fetched : [];
  useEffect(() => {
    if (!isUser || !actions) return;
    let live = true;
    ReportService.Operations(handleId, { text: op.object.email || op.object.name, actions: actions.split(','), offset: 0, limit: 500 } as report.Query).then(
      (p) => live && setMemberships((p.rows ?? []).filter((m) => (m.object.entraId && m.object.entraId === op.object.entraId) || m.object.name === op.object.name)),
      (e) => live && setError(toAppError(e)),
    );
    return () => {
      live = false;
    };
  }, [handleId, op, isUser, actions]);
  return (
    <ModalDialog onClose={onClose} width="large" testId="op-detail">
      <ModalHeader>
        <ModalTitle>{op.object.name}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <dl className="kv">
          <dt>Change</dt>
          <dd>{labelOf(op.action)}</dd>
          {op.result && op.result !== 'planned' && (
            <>
              <dt>Result</dt>
              <dd>
                {op.result}
                {op.code && ` (${op.code}) ${op.message ?? ''}`}
              </dd>
            </>
          )}
          {op.object.email && (
            <>
              <dt>Email</dt>
              <dd>{op.object.email}</dd>
            </>
          )}
          <dt>Entra object ID</dt>
          <dd>{op.object.entraId || '—'}</dd>
          <dt>Atlassian ID</dt>
          <dd>{op.object.atlassianId || '—'}</dd>
          {op.reason && (
            <>
              <dt>Why</dt>
              <dd>{op.reason}</dd>
            </>
          )}
          {op.warning && (
            <>
              <dt>Warning</dt>
              <dd>{op.warning}</dd>
            </>
          )}
        </dl>
        <ChangesTable changes={op.changes} before="In Atlassian before" after="After the sync" />
        {op.group && (
          <p>
            Group: <strong>{op.group.name}</strong>
            {op.chain && op.chain.length > 0 && <> — member through {op.chain.join(' › ')}</>}
          </p>
        )}
        {isUser && (
          <>
            <h3 className="subhead">Group memberships in this sync</h3>
            {error && <p>{error.message}</p>}
            {memberships === null ? (
              <p className="muted">Loading…</p>
            ) : memberships.length === 0 ? (
              <p className="muted">No membership changes for this user.</p>
            ) : (
              <ul className="plain" data-testid="membership-chains">
                {memberships.map((m) => (
                  <li key={m.seq}>
                    {labelOf(m.action)}: <strong>{m.group?.name}</strong>
                    {m.chain && m.chain.length > 0 && <span className="muted"> — because of {m.chain.join(' › ')}</span>}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </ModalBody>
      <CloseFooter onClose={onClose} />
    </ModalDialog>
  );
}
