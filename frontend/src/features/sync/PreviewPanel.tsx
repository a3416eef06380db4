import ModalDialog, { ModalBody, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import SectionMessage from '@atlaskit/section-message';
import Select from '@atlaskit/select';
import Tabs, { Tab, TabList, TabPanel } from '@atlaskit/tabs';
import Textfield from '@atlaskit/textfield';
import { useCallback, useEffect, useState } from 'react';
import { SyncService, toAppError, type AppError, type backend } from '../api';
import { codeAction } from '../common/errors';
import { formatCount, formatDate, labelOf, plural } from '../common/format';
import { PagedState, useDebounced, usePaged, VirtualList } from '../common/PagedList';
import { ChangesTable, CloseFooter, OpLine, SkipDetail, SkipHead, SkipLine, type SkipLike } from '../common/ops';
import { Conflicts } from './Conflicts';
import { PlanNotices } from './PlanNotices';
import { CountTable } from './Counts';

const changeTypes = [
  { label: 'All changes', value: '' },
  { label: 'Create user', value: 'create_user' },
  { label: 'Update user', value: 'update_user' },
  { label: 'Adopt existing user', value: 'adopt_user' },
  { label: 'Reactivate user', value: 'reactivate_user' },
  { label: 'Deactivate user', value: 'deactivate_user' },
  { label: 'Create group', value: 'create_group' },
  { label: 'Take over group', value: 'adopt_group' },
  { label: 'Group conflict', value: 'conflict_group' },
  { label: 'Add to group', value: 'add_member' },
  { label: 'Remove from group', value: 'remove_member' },
  { label: 'Group no longer managed', value: 'retire_group' },
  { label: 'Delete group', value: 'delete_group' },
];

/**
 * The plan, browsable before applying: its counts, the conflicts to decide, every operation
 * (virtualized, searchable, filterable by change type) with each user's detail, and what is left out.
 */
/** The safety rails a sync can be overridden past, for that sync only (see ConfirmDialog). */
const railTitles: Record<string, string> = {
  threshold_exceeded: 'Deactivation threshold exceeded',
  removal_threshold_exceeded: 'Membership-removal threshold exceeded',
  read_shrank: 'Entra returned far fewer objects than at the last sync',
};

export function PreviewPanel({
  plan,
  onPlan,
  stale,
}: {
  plan: backend.PlanSummary;
  onPlan: (p: backend.PlanSummary) => void;
  stale: boolean;
}) {
  const [search, setSearch] = useState('');
  const [action, setAction] = useState('');
  const q = useDebounced(search.trim());
  const [detail, setDetail] = useState<backend.Operation | null>(null);
  const [skipDetail, setSkipDetail] = useState<SkipLike | null>(null);

  const fetchOps = useCallback(
    (offset: number, limit: number) =>
      SyncService.Operations(plan.planId, { action, search: q, offset, limit } as backend.OpQuery).then((p) => ({ rows: p.operations ?? [], total: p.total })),
    [plan.planId, action, q],
  );
  const ops = usePaged(`${plan.planId}|${action}|${q}`, fetchOps);
  const [skipSearch, setSkipSearch] = useState('');
  const sq = useDebounced(skipSearch.trim());
  const fetchSkips = useCallback(
    (offset: number, limit: number) => SyncService.Skips(plan.planId, { search: sq, offset, limit } as backend.SkipQuery).then((p) => ({ rows: p.skips ?? [], total: p.total })),
    [plan.planId, sq],
  );
  const skips = usePaged(`${plan.planId}|skips|${sq}`, fetchSkips);

  return (
    <div className="preview" data-testid="preview">
      {stale && (
        <SectionMessage appearance="warning" title="The settings changed after this preview" testId="preview-stale">
          <p>This preview no longer matches the saved settings and cannot be applied. Preview again.</p>
        </SectionMessage>
      )}
      <div className="preview-summary">
        <div>
          <h3 className="subhead">Planned changes</h3>
          <CountTable counts={plan.counts} testId="preview-counts" />
        </div>
        <div>
          <dl className="kv">
            <dt>Tenant</dt>
            <dd>
              {plan.tenantName} <span className="muted">({plan.tenantId})</span>
            </dd>
            <dt>Domains</dt>
            <dd>{(plan.domains ?? []).join(', ') || '—'}</dd>
            <dt>Read</dt>
            <dd>{plan.full ? 'Full read of both sides' : 'Changes since the last sync'}</dd>
            <dt>Previewed</dt>
            <dd>{formatDate(plan.created)}</dd>
            <dt>Left out of scope</dt>
            <dd>{formatCount(plan.skips)}</dd>
          </dl>
        </div>
      </div>
      {(plan.blocked ?? []).map((b, i) => (
        <SectionMessage key={i} appearance={railTitles[b.code] ? 'warning' : 'error'} title={railTitles[b.code] ?? 'This plan cannot be applied'}>
          <p>{b.message}</p>
          <p>{codeAction(b.code, b.action)}</p>
        </SectionMessage>
      ))}
      <PlanNotices plan={plan} />
      <Conflicts plan={plan} onPlan={onPlan} />
      <Tabs id="preview-tabs">
        <TabList>
          <Tab testId="tab-ops">Changes ({formatCount(plan.operations)})</Tab>
          <Tab testId="tab-skips">Left out ({formatCount(plan.skips)})</Tab>
        </TabList>
        <TabPanel>
          <div className="tab-pad">
            <div className="filter-row">
              <div className="grow">
                <Textfield aria-label="Search changes" placeholder="Search by name, email or group" value={search} onChange={(e) => setSearch(e.currentTarget.value)} testId="ops-search" />
              </div>
              <div className="filter-select">
                <Select
                  aria-label="Change type"
                  inputId="change-type"
                  options={changeTypes}
                  value={changeTypes.find((c) => c.value === action)}
                  onChange={(o) => setAction(o?.value ?? '')}
                  testId="ops-filter"
                />
              </div>
            </div>
            <p className="muted small" data-testid="ops-total" aria-live="polite">
              {ops.total === null ? 'Loading…' : plural(ops.total, q || action ? 'matching change' : 'change')}
            </p>
            <PagedState total={ops.total} error={ops.error} empty={<p className="muted">{q || action ? 'No change matches.' : 'Nothing to change: Atlassian already matches Entra ID for this scope.'}</p>}>
              <VirtualList
                label="Planned changes"
                count={ops.total ?? 0}
                row={ops.row}
                testId="ops-list"
                renderRow={(op) => (
                  <button type="button" className="row-button" onClick={() => setDetail(op)} data-testid="op-row">
                    <OpLine op={op} />
                  </button>
                )}
              />
            </PagedState>
          </div>
        </TabPanel>
        <TabPanel>
          <div className="tab-pad">
            <Textfield aria-label="Search left-out objects" placeholder="Search by name or email" value={skipSearch} onChange={(e) => setSkipSearch(e.currentTarget.value)} testId="skips-search" />
            <PagedState total={skips.total} error={skips.error} empty={<p className="muted">Nothing is left out.</p>}>
              <VirtualList
                label="Left out of scope"
                count={skips.total ?? 0}
                row={skips.row}
                testId="skips-list"
                header={<SkipHead />}
                renderRow={(s) => (
                  <button type="button" className="row-button" onClick={() => setSkipDetail(s)} data-testid="skip-row">
                    <SkipLine skip={s} />
                  </button>
                )}
              />
            </PagedState>
          </div>
        </TabPanel>
      </Tabs>
      <ModalTransition>{detail && <OperationDetail planId={plan.planId} op={detail} onClose={() => setDetail(null)} />}</ModalTransition>
      <ModalTransition>{skipDetail && <SkipDetail skip={skipDetail} onClose={() => setSkipDetail(null)} />}</ModalTransition>
    </div>
  );
}

/** A user's or group's detail: attribute changes, and for a user every group with its chain. */
export function OperationDetail({ planId, op, onClose }: { planId: string; op: backend.Operation; onClose: () => void }) {
  const [memberships, setMemberships] = useState<backend.Operation[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const isUser = op.object.type === 'user';
  useEffect(() => {
    if (!isUser) return;
    let live = true;
    const key = op.object.email || op.object.name;
    SyncService.Operations(planId, { object: 'membership', search: key, offset: 0, limit: 500 } as backend.OpQuery).then(
      (p) => live && setMemberships((p.operations ?? []).filter((m) => (m.object.entraId && m.object.entraId === op.object.entraId) || m.object.name === op.object.name)),
      (e) => live && setError(toAppError(e)),
    );
    return () => {
      live = false;
    };
  }, [planId, op, isUser]);
  return (
    <ModalDialog onClose={onClose} width="large" testId="op-detail">
      <ModalHeader>
        <ModalTitle>{op.object.name}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <dl className="kv">
          <dt>Change</dt>
          <dd>{labelOf(op.action)}</dd>
          {op.object.email && (
            <>
              <dt>Email</dt>
              <dd>{op.object.email}</dd>
            </>
          )}
          {op.object.entraId && (
            <>
              <dt>Entra object ID</dt>
              <dd>{op.object.entraId}</dd>
            </>
          )}
          {op.object.atlassianId && (
            <>
              <dt>Atlassian ID</dt>
              <dd>{op.object.atlassianId}</dd>
            </>
          )}
          {op.reason && (
            <>
              <dt>Why</dt>
              <dd>{op.reason}</dd>
            </>
          )}
          {op.result && op.result !== 'planned' && (
            <>
              <dt>Result</dt>
              <dd>
                {op.result}
                {op.code && ` (${op.code}) ${op.message ?? ''}`}
              </dd>
            </>
          )}
        </dl>
        <ChangesTable changes={op.changes} before="In Atlassian now" after="After the sync" />
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
