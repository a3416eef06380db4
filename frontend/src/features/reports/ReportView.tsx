import Button from '@atlaskit/button/new';
import { Checkbox } from '@atlaskit/checkbox';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import SectionMessage from '@atlaskit/section-message';
import Select from '@atlaskit/select';
import Spinner from '@atlaskit/spinner';
import { useEffect, useState } from 'react';
import { useFlags } from '../../lib/flags';
import { ReportService, SyncService, toAppError, type AppError, type app, type report } from '../api';
import { ErrorMessage } from '../common/errors';
import { formatCount, formatDate, formatDuration, labelOf, sumBy } from '../common/format';
import { phaseLabel } from '../sync/Progress';
import { OperationsPanel, useRunReport } from '../common/OperationsPanel';
import { RunStatus, runKindText, runText } from '../common/status';
import { Comparison } from './Comparison';

const results = ['succeeded', 'failed', 'skipped', 'planned'] as const;

/** Changes by type and result as horizontal stacked bars (text beside each, for screen readers too). */
export function CountsChart({ counts }: { counts: report.Count[] }) {
  // One row an action, in the order of the counts, each result's cell summed (sumBy).
  const rows = [...new Set((counts ?? []).map((c) => c.action))].map((action) => ({
    action,
    total: sumBy(counts, { action }),
    m: Object.fromEntries(results.map((result) => [result, sumBy(counts, { action, result })])) as Record<string, number>,
  }));
  const max = Math.max(1, ...rows.map((r) => r.total));
  if (rows.length === 0) return <p className="muted">No changes.</p>;
  return (
    <div className="chart" data-testid="report-chart" role="table" aria-label="Changes by type and result">
      {rows.map(({ action, total, m }) => {
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

/** The report of a run (runId) or of a file already opened (handle): summary, chart, tables, details, export, compare. */
export function ReportView({ runId, handle: given, titled = true }: { runId?: string; handle?: app.ReportHandle; titled?: boolean }) {
  const run = useRunReport(given ? undefined : runId);
  const handle = given ?? run.handle;
  const error = given ? null : run.error;
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
  const durationMs = Math.round((s.durationNs ?? 0) / 1e6);

  return (
    <>
      {/* One title per page: under a page titled "Sync report" only the status and kind show. */}
      <h2 className={titled ? 'report-title' : 'report-title report-subtitle'} data-testid="report-heading">
        {titled ? (s.kind === 'apply' ? 'Sync report' : 'Preview report') : runKindText(s.kind)} <RunStatus status={s.status} />
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
      <OperationsPanel handle={handle} applied={s.kind === 'apply'} emptyText={<p className="muted">No operations.</p>} />
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
  const options = runs.map((r) => ({ label: `${runText(r.run.kind, r.run.status)} of ${formatDate(r.run.started)}`, value: r.run.runId }));
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
