import Button from '@atlaskit/button/new';
import { Checkbox } from '@atlaskit/checkbox';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import SectionMessage from '@atlaskit/section-message';
import Select from '@atlaskit/select';
import Spinner from '@atlaskit/spinner';
import Tabs, { Tab, TabList, TabPanel } from '@atlaskit/tabs';
import Textfield from '@atlaskit/textfield';
import { useCallback, useEffect, useState } from 'react';
import { useFlags } from '../../lib/flags';
import { ReportService, SyncService, toAppError, type AppError, type app, type report } from '../api';
import { ErrorMessage } from '../common/errors';
import { formatCount, formatDate, formatDuration, labelOf, plural } from '../common/format';
import { phaseLabel } from '../sync/Progress';
import { PagedState, useDebounced, usePaged, VirtualList } from '../common/PagedList';
import { RunStatus } from '../common/status';
import { ChangesTable, OpLine, SkipDetail, SkipHead, SkipLine, type SkipLike } from '../common/ops';
import { Comparison } from './Comparison';

const results = ['succeeded', 'failed', 'skipped', 'planned'] as const;

/** Changes by type and result as horizontal stacked bars (text beside each, for screen readers too). */
export function CountsChart({ counts }: { counts: report.Count[] }) {
  const byAction = new Map<string, Record<string, number>>();
  for (const c of counts ?? []) {
    const m = byAction.get(c.action) ?? {};
    m[c.result] = (m[c.result] ?? 0) + c.n;
    byAction.set(c.action, m);
  }
  const max = Math.max(1, ...[...byAction.values()].map((m) => Object.values(m).reduce((a, b) => a + b, 0)));
  if (byAction.size === 0) return <p className="muted">No changes.</p>;
  return (
    <div className="chart" data-testid="report-chart" role="table" aria-label="Changes by type and result">
      {[...byAction.entries()].map(([action, m]) => {
        const total = Object.values(m).reduce((a, b) => a + b, 0);
        return (
          <div className="chart-row" key={action} role="row">
            <span className="chart-label" role="rowheader">
              {labelOf(action)}
            </span>
            <span className="chart-bar" role="cell" aria-hidden="true">
              {results.map((r) =>
                m[r] ? <span key={r} className={`seg seg-${r}`} style={{ width: `${(m[r] / max) * 100}%` }} title={`${r}: ${m[r]}`} /> : null,
              )}
            </span>
            <span className="chart-value" role="cell">
              {formatCount(total)}
              {results.filter((r) => m[r] && r !== 'succeeded' && r !== 'planned').map((r) => ` · ${formatCount(m[r])} ${r}`)}
            </span>
          </div>
        );
      })}
      <div className="chart-legend muted small">
        {results.map((r) => (
          <span key={r}>
            <span className={`swatch seg-${r}`} /> {r}
          </span>
        ))}
      </div>
    </div>
  );
}

const actionFilter = [
  { label: 'All changes', value: '' },
  ...['create_user', 'update_user', 'adopt_user', 'reactivate_user', 'deactivate_user', 'create_group', 'adopt_group', 'conflict_group', 'add_member', 'remove_member', 'retire_group', 'delete_group'].map((a) => ({ label: labelOf(a), value: a })),
];
const resultFilter = [{ label: 'All results', value: '' }, ...results.map((r) => ({ label: r[0].toUpperCase() + r.slice(1), value: r }))];

/** The report of a run (runId) or of a file already opened (handle): summary, chart, tables, details, export, compare. */
export function ReportView({ runId, handle: given, titled = true }: { runId?: string; handle?: app.ReportHandle; titled?: boolean }) {
  const [opened, setOpened] = useState<{ runId: string; handle: app.ReportHandle | null; error: AppError | null } | null>(null);
  const handle = given ?? (opened?.runId === runId ? opened?.handle : null) ?? null;
  const error = !given && opened?.runId === runId ? opened?.error ?? null : null;
  useEffect(() => {
    if (given || !runId) return;
    let live = true;
    ReportService.OpenRun(runId).then(
      (h) => live && setOpened({ runId, handle: h, error: null }),
      (e) => live && setOpened({ runId, handle: null, error: toAppError(e) }),
    );
    return () => {
      live = false;
    };
  }, [runId, given]);
  return (
    <div className="report" data-testid="report-view">
      {error ? (
        <ErrorMessage error={error} title="The report could not be opened" testId="report-error" />
      ) : !handle ? (
        <div className="center-pad">
          <Spinner label="Opening the report" />
        </div>
      ) : (
        <ReportBody handle={handle} titled={titled} />
      )}
    </div>
  );
}

function ReportBody({ handle, titled }: { handle: app.ReportHandle; titled: boolean }) {
  const s = handle.summary;
  const [search, setSearch] = useState('');
  const [action, setAction] = useState('');
  const [result, setResult] = useState('');
  const q = useDebounced(search.trim());
  const [detail, setDetail] = useState<report.Operation | null>(null);
  const [skipDetail, setSkipDetail] = useState<SkipLike | null>(null);
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
  const sq = useDebounced(skipText.trim());
  const fetchSkips = useCallback(
    (offset: number, limit: number) => ReportService.Skips(handle.id, { text: sq, offset, limit } as report.Query).then((p) => ({ rows: p.rows ?? [], total: p.total })),
    [handle.id, sq],
  );
  const skips = usePaged(`${handle.id}|skips|${sq}`, fetchSkips);
  const durationMs = Math.round((s.durationNs ?? 0) / 1e6);

  return (
    <>
      {/* One title per page: under a page titled "Sync report" only the status and kind show. */}
      <h2 className={titled ? 'report-title' : 'report-title report-subtitle'} data-testid="report-heading">
        {titled ? (s.kind === 'apply' ? 'Sync report' : 'Preview report') : s.kind === 'apply' ? 'Sync' : 'Preview'} <RunStatus status={s.status} />
      </h2>
      {s.pseudonymized && (
        <SectionMessage appearance="information" title="Pseudonymized report">
          <p>Names and emails were replaced by stable pseudonyms for sharing.</p>
        </SectionMessage>
      )}
      {s.source && (s.source.invalidUtf8 > 0 || (s.source.warnings ?? []).length > 0) && (
        <SectionMessage appearance="warning" title="This file had problems that were repaired for display">
          <ul className="plain">
            {s.source.invalidUtf8 > 0 && <li>{formatCount(s.source.invalidUtf8)} invalid characters shown as �</li>}
            {(s.source.warnings ?? []).map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </SectionMessage>
      )}
      <div className="report-summary" data-testid="report-summary">
        <dl className="kv">
          <dt>Directory</dt>
          <dd>{s.directory?.name || '—'}</dd>
          <dt>Tenant</dt>
          <dd>
            {s.tenant?.name} <span className="muted">({s.tenant?.id})</span>
          </dd>
          <dt>Domains confirmed</dt>
          <dd>{(s.confirmation?.domains ?? []).join(', ') || '—'}</dd>
          <dt>Confirmed by</dt>
          <dd>{s.confirmation?.account || (s.confirmation?.automatic ? 'Automatic sync (standing confirmation)' : '—')}</dd>
          <dt>Started</dt>
          <dd>{formatDate(s.started as unknown as string)}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(durationMs)}</dd>
          <dt>Operations</dt>
          <dd>
            {formatCount(s.operations)} ({formatCount(s.failed)} failed), {formatCount(s.skips)} left out
          </dd>
          <dt>Run ID</dt>
          <dd className="small">{s.runId}</dd>
          {s.source && (
            <>
              <dt>File</dt>
              <dd className="small">
                {handle.name} ({s.source.format})
              </dd>
            </>
          )}
        </dl>
        <div>
          <h3 className="subhead">Changes by type and result</h3>
          <CountsChart counts={s.counts ?? []} />
          {(s.phases ?? []).length > 0 && (
            <p className="muted small">
              Phases: {(s.phases ?? []).map((p) => `${phaseLabel(p.name)} ${formatDuration(Math.round((p.durationNs ?? 0) / 1e6))}`).join(' · ')}
            </p>
          )}
        </div>
      </div>
      {(s.errors ?? []).map((e, i) => (
        <ErrorMessage key={i} error={{ code: e.code, message: e.message }} />
      ))}
      <ExportBar handle={handle} />
      <CompareBar handle={handle} />
      <Tabs id="report-tabs">
        <TabList>
          <Tab>Operations ({formatCount(s.operations)})</Tab>
          <Tab>Left out ({formatCount(s.skips)})</Tab>
        </TabList>
        <TabPanel>
          <div className="tab-pad">
            <div className="filter-row">
              <div className="grow">
                <Textfield aria-label="Search operations" placeholder="Search names, emails, groups, codes" value={search} onChange={(e) => setSearch(e.currentTarget.value)} testId="report-search" />
              </div>
              <div className="filter-select">
                <Select aria-label="Change type" options={actionFilter} value={actionFilter.find((a) => a.value === action)} onChange={(o) => setAction(o?.value ?? '')} />
              </div>
              <div className="filter-select">
                <Select aria-label="Result" options={resultFilter} value={resultFilter.find((a) => a.value === result)} onChange={(o) => setResult(o?.value ?? '')} testId="report-result" />
              </div>
            </div>
            <p className="muted small" data-testid="report-total">
              {ops.total === null ? 'Loading…' : plural(ops.total, q || action || result ? 'matching operation' : 'operation')}
            </p>
            <PagedState total={ops.total} error={ops.error} empty={<p className="muted">No operation matches.</p>}>
              <VirtualList
                label="Operations"
                count={ops.total ?? 0}
                row={ops.row}
                testId="report-ops"
                renderRow={(op) => (
                  <button type="button" className="row-button" onClick={() => setDetail(op)}>
                    <OpLine op={op} showResult />
                  </button>
                )}
              />
            </PagedState>
          </div>
        </TabPanel>
        <TabPanel>
          <div className="tab-pad">
            <Textfield aria-label="Search left-out objects" placeholder="Search" value={skipText} onChange={(e) => setSkipText(e.currentTarget.value)} />
            <PagedState total={skips.total} error={skips.error} empty={<p className="muted">Nothing was left out.</p>}>
              <VirtualList
                label="Left out"
                count={skips.total ?? 0}
                row={skips.row}
                testId="report-skips"
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
      <ModalTransition>{skipDetail && <SkipDetail skip={skipDetail} onClose={() => setSkipDetail(null)} />}</ModalTransition>
      <ModalTransition>
        {detail && (
          <ModalDialog onClose={() => setDetail(null)} width="large" testId="report-op-detail">
            <ModalHeader>
              <ModalTitle>{detail.object.name}</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <dl className="kv">
                <dt>Operation</dt>
                <dd>{labelOf(detail.action)}</dd>
                <dt>Result</dt>
                <dd>
                  {detail.result}
                  {detail.code && ` — ${detail.code}: ${detail.message ?? ''}`}
                </dd>
                {detail.object.email && (
                  <>
                    <dt>Email</dt>
                    <dd>{detail.object.email}</dd>
                  </>
                )}
                <dt>Entra ID</dt>
                <dd>{detail.object.entraId || '—'}</dd>
                <dt>Atlassian ID</dt>
                <dd>{detail.object.atlassianId || '—'}</dd>
                {detail.group && (
                  <>
                    <dt>Group</dt>
                    <dd>
                      {detail.group.name}
                      {detail.chain && detail.chain.length > 0 && <div className="muted">through {detail.chain.join(' › ')}</div>}
                    </dd>
                  </>
                )}
                {detail.reason && (
                  <>
                    <dt>Reason</dt>
                    <dd>{detail.reason}</dd>
                  </>
                )}
              </dl>
              <ChangesTable changes={detail.changes} />
            </ModalBody>
            <ModalFooter>
              <Button appearance="primary" onClick={() => setDetail(null)} autoFocus>
                Close
              </Button>
            </ModalFooter>
          </ModalDialog>
        )}
      </ModalTransition>
    </>
  );
}

/** Export buttons: HTML, CSV or JSON, optionally pseudonymized, through the save dialog. */
function ExportBar({ handle }: { handle: app.ReportHandle }) {
  const flags = useFlags();
  const [pseudo, setPseudo] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const run = async (format: string) => {
    setBusy(format);
    try {
      const r = await ReportService.Export(handle.id, { format, gzip: false, pseudonymize: pseudo, keepDomains: false });
      if (r.files && r.files.length > 0) flags.showSuccess('Report exported', r.files.join(', '));
    } catch (e) {
      flags.showError('The report was not exported', toAppError(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="export-bar" data-testid="export-bar">
      <span className="muted">Export:</span>
      {['html', 'csv', 'json'].map((f) => (
        <Button key={f} onClick={() => void run(f)} isLoading={busy === f} isDisabled={busy !== null} testId={`export-${f}`}>
          {f.toUpperCase()}
        </Button>
      ))}
      <Checkbox isChecked={pseudo} onChange={(e) => setPseudo(e.currentTarget.checked)} label="Pseudonymize names and emails" testId="export-pseudo" />
    </div>
  );
}

/** Compare with another run of the same directory, or with a report file. */
function CompareBar({ handle }: { handle: app.ReportHandle }) {
  const [runs, setRuns] = useState<app.HistoryRow[]>([]);
  const [other, setOther] = useState<app.ReportHandle | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [open, setOpen] = useState(false);
  const dirId = handle.summary.directory?.id ?? '';
  useEffect(() => {
    if (!dirId) return;
    SyncService.History(dirId, 50).then((r) => setRuns((r ?? []).filter((x) => x.run.runId !== handle.summary.runId && x.run.reportPath)), () => {});
  }, [dirId, handle.summary.runId]);
  const pick = async (p: Promise<app.ReportHandle>) => {
    setError(null);
    try {
      const h = await p;
      if (h.id) {
        setOther(h);
        setOpen(true);
      }
    } catch (e) {
      setError(toAppError(e));
    }
  };
  const options = runs.map((r) => ({ label: `${r.run.kind === 'apply' ? 'Sync' : 'Preview'} of ${formatDate(r.run.started)} (${r.run.status})`, value: r.run.runId }));
  return (
    <div className="export-bar" data-testid="compare-bar">
      <span className="muted">Compare with:</span>
      <div className="filter-select wide">
        <Select aria-label="Another run" placeholder="Another run of this directory" options={options} onChange={(o) => o && void pick(ReportService.OpenRun(o.value))} testId="compare-run" />
      </div>
      <Button onClick={() => void pick(ReportService.OpenFile())}>A report file…</Button>
      {error && <ErrorMessage error={error} title="The other report could not be opened" />}
      <ModalTransition>
        {open && other && (
          <ModalDialog onClose={() => setOpen(false)} width="x-large" testId="compare-dialog">
            <ModalHeader>
              <ModalTitle>Comparison</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <Comparison older={other} newer={handle} />
            </ModalBody>
            <ModalFooter>
              <Button appearance="primary" onClick={() => setOpen(false)}>
                Close
              </Button>
            </ModalFooter>
          </ModalDialog>
        )}
      </ModalTransition>
    </div>
  );
}
