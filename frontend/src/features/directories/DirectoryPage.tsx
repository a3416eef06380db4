import Breadcrumbs, { BreadcrumbsItem } from '@atlaskit/breadcrumbs';
import Button from '@atlaskit/button/new';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import Tabs, { Tab, TabList, TabPanel } from '@atlaskit/tabs';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { useFlags } from '../../lib/flags';
import { PageLayout } from '../../shell/PageLayout';
import { DirectoryService, EventsOn, events, SyncService, toAppError, type AppError, type Applied, type backend, type Progress } from '../api';
import { ErrorMessage } from '../common/errors';
import { doneText, formatCount, formatDate, plural } from '../common/format';
import { useNav, type DirectoryTab } from '../common/nav';
import { DirectoryStatus, directoryStatusText, RunStatus } from '../common/status';
import { ConfirmDialog } from '../sync/ConfirmDialog';
import { History } from '../sync/History';
import { PreviewPanel } from '../sync/PreviewPanel';
import { runningText, SyncProgress, SyncResult } from '../sync/Progress';
import { Troubleshooting } from '../sync/Troubleshooting';
import { LastAlert } from './Advanced';
import { initialPageState, pageReducer } from './pageState';
import { AtlassianStep, emptyInput } from './AddDirectory';
import { RetiredGroups } from './RetiredGroups';
import { SignIn, TenantCard } from './SignIn';
import { TenantField } from './TenantField';
import { SyncSettings, type SettingsDraft } from './SyncSettings';

const tabs: DirectoryTab[] = ['overview', 'settings', 'preview', 'history', 'troubleshooting', 'connection'];

/** One directory: its overview and status panel, settings, preview, history and troubleshooting. */
export function DirectoryPage({ id, tab = 'overview' }: { id: string; tab?: DirectoryTab }) {
  const nav = useNav();
  const flags = useFlags();
  const [st, dispatch] = useReducer(pageReducer, tab, initialPageState);
  const { dir, account, loadError, tab: current, plan, stale, previewing, previewError, confirming, running, canceling, progress, result, refreshKey, disconnecting, unsaved } = st;
  const setCurrent = (t: DirectoryTab) => dispatch({ type: 'tab', tab: t });
  const live = useRef(true);
  // Unsaved edits in Sync settings: Sync now and Preview ask about them first.
  const draft = useRef<SettingsDraft | null>(null);
  const onDraft = useCallback((d: SettingsDraft | null) => {
    draft.current = d;
  }, []);

  const reload = useCallback(() => {
    DirectoryService.Get(id).then(
      (d) => live.current && dispatch({ type: 'loaded', dir: d }),
      (e) => live.current && dispatch({ type: 'loadFailed', error: toAppError(e) }),
    );
    DirectoryService.Account(id).then(
      (a) => live.current && dispatch({ type: 'account', account: a ?? null }),
      () => live.current && dispatch({ type: 'account', account: null }),
    );
  }, [id]);

  // A sync's end: from Apply itself when quick, else from the sync:applied event.
  const finish = useCallback(
    (run: backend.RunSummary | null, error: AppError | null) => {
      if (!live.current) return;
      dispatch({ type: 'finished', run, error });
      reload();
    },
    [reload],
  );

  useEffect(() => {
    live.current = true;
    reload();
    const offP = EventsOn(events.progress, (p: Progress) => {
      if (p?.directoryId !== id) return;
      dispatch({ type: 'progress', progress: p });
    });
    const offD = EventsOn(events.done, (r: backend.RunSummary) => {
      if (r?.directoryId !== id) return;
      dispatch({ type: 'runRecorded' });
    });
    const offA = EventsOn(events.applied, (a: Applied) => {
      if (a?.directoryId !== id) return;
      finish(a.run ?? null, a.error ? toAppError(a.error) : null);
    });
    return () => {
      live.current = false;
      offP?.();
      offD?.();
      offA?.();
    };
  }, [id, reload, finish]);

  // Leaving the directory abandons its preview: the backend releases the plan now (hundreds of
  // megabytes for a large directory) instead of holding it until it expires.
  useEffect(
    () => () => {
      void SyncService.ReleasePreviews(id).catch(() => {});
    },
    [id],
  );

  // Sync now and Preview changes: unsaved settings are saved or discarded first, then the
  // preview is made and shown; Sync now opens the confirmation over it.
  const start = (thenConfirm: boolean) => {
    if (draft.current) dispatch({ type: 'unsaved', value: { thenConfirm } });
    else void preview(thenConfirm).then(() => live.current && setCurrent('preview'));
  };

  const resolveUnsaved = async (save: boolean) => {
    const u = unsaved;
    const d = draft.current;
    dispatch({ type: 'unsaved', value: null });
    if (!u) return;
    if (d) {
      if (save) {
        if (!(await d.save())) return; // not saved: the settings say why (or ask their own confirmation)
      } else d.discard();
    }
    await preview(u.thenConfirm);
    if (live.current) setCurrent('preview');
  };

  const preview = async (thenConfirm: boolean) => {
    dispatch({ type: 'previewStarted' });
    setCurrent('preview'); // its notice and error show in the Preview tab
    try {
      const p = await SyncService.Preview(id, false);
      if (live.current) dispatch({ type: 'previewMade', plan: p, thenConfirm });
    } catch (e) {
      if (live.current) dispatch({ type: 'previewFailed', error: toAppError(e) });
    } finally {
      if (live.current) dispatch({ type: 'previewEnded' });
    }
  };

  const apply = async (c: backend.Confirmation) => {
    if (!plan) return;
    const planId = plan.planId;
    dispatch({ type: 'applyStarted' });
    try {
      const r = await SyncService.Apply(id, planId, c);
      if (!r.started) finish(r.run ?? null, null);
      else reload(); // the backend's status now says the sync runs
    } catch (e) {
      finish(null, toAppError(e));
    }
  };

  const cancel = async () => {
    dispatch({ type: 'cancelStarted' });
    try {
      await SyncService.Cancel(id);
    } catch (e) {
      dispatch({ type: 'cancelFailed' });
      flags.showError('The sync could not be cancelled', toAppError(e));
    }
  };

  const disconnect = async () => {
    try {
      await DirectoryService.Disconnect(id);
      flags.showSuccess('Directory disconnected', 'Synced users keep their product access.');
      nav({ kind: 'list' });
    } catch (e) {
      dispatch({ type: 'disconnect', open: false });
      flags.showError('The directory could not be disconnected', toAppError(e));
    }
  };

  const openReport = (runId: string) => nav({ kind: 'report', runId, back: { kind: 'directory', id, tab: current } });

  if (loadError) return <PageLayout title="Identity providers"><ErrorMessage error={loadError} title="The directory could not be opened" /></PageLayout>;
  if (!dir)
    return (
      <PageLayout title="Identity providers">
        <Spinner label="Loading" />
      </PageLayout>
    );

  const tabIndex = Math.max(0, tabs.indexOf(current));
  return (
    <PageLayout
      title={dir.name}
      actions={
        <div className="row-gap">
          <Button onClick={() => start(false)} isDisabled={running || previewing || !account} testId="preview-changes">
            Preview changes
          </Button>
          <Button appearance="primary" onClick={() => start(true)} isDisabled={running || previewing || !account} isLoading={previewing} testId="sync-now">
            Sync now
          </Button>
        </div>
      }
    >
      <div className="crumbs"><Breadcrumbs>
            <BreadcrumbsItem text="Identity providers" onClick={() => nav({ kind: 'list' })} testId="crumb-idps" />
            <BreadcrumbsItem text={dir.name} />
          </Breadcrumbs></div>
      <Tabs id="directory-tabs" selected={tabIndex} onChange={(i) => setCurrent(tabs[i])}>
        <TabList>
          <Tab testId="tab-overview">Overview</Tab>
          <Tab testId="tab-settings">Sync settings</Tab>
          <Tab testId="tab-preview">Preview</Tab>
          <Tab testId="tab-history">Sync history</Tab>
          <Tab testId="tab-troubleshooting">Troubleshooting</Tab>
          <Tab testId="tab-connection">Connection</Tab>
        </TabList>
        <TabPanel>
          <div className="tab-pad" data-testid="overview">
            {running && <SyncProgress progress={progress} onCancel={() => void cancel()} canceling={canceling} />}
            {result && <SyncResult run={result.run} error={result.error} onReport={openReport} onDismiss={() => dispatch({ type: 'dismissResult' })} />}
            {account === null && (
              <section className="panel">
                <h3 className="subhead">Connect your Microsoft account</h3>
                <SignIn directoryId={id} onSignedIn={() => reload()} />
              </section>
            )}
            <Overview dir={dir} account={account ?? null} progress={progress} onEdit={() => setCurrent('settings')} onDisconnect={() => dispatch({ type: 'disconnect', open: true })} />
            {dir.syncedGroups > 0 && <RetiredGroups directoryId={id} />}
            {account && !dir.tenantId && (
              <section className="panel">
                <h3 className="subhead">Tenant</h3>
                <TenantCard directoryId={id} onSignedOut={() => reload()} />
              </section>
            )}
          </div>
        </TabPanel>
        <TabPanel>
          <div className="tab-pad">
            {current === 'settings' &&
              (account ? (
                <SyncSettings
                  directoryId={id}
                  running={running || dir.status === 'syncing'}
                  hasOrgKey={dir.hasOrgKey && !!dir.orgId}
                  onDraft={onDraft}
                  onSaved={() => {
                    dispatch({ type: 'settingsSaved' });
                    reload();
                  }}
                />
              ) : (
                <SignIn directoryId={id} onSignedIn={() => reload()} />
              ))}
          </div>
        </TabPanel>
        <TabPanel>
          <div className="tab-pad">
            {/* The preview's notice and error live in its tab, not above the tabs, where they
                pushed the tab list and every button under it down (and sat over a sync result). */}
            {previewError && !previewing && <ErrorMessage error={previewError} title="The preview could not be made" testId="preview-error" />}
            {previewing ? (
              <SectionMessage appearance="information" title="Reading Entra ID and Atlassian…" testId="previewing">
                <p>IdP Sync reads both sides and plans every change. Nothing is written.</p>
              </SectionMessage>
            ) : plan ? (
              <>
                <PreviewPanel plan={plan} onPlan={(p) => dispatch({ type: 'planReplaced', plan: p })} stale={stale} />
                <div className="footer-buttons">
                  <Button onClick={() => void preview(false)} isLoading={previewing} testId="preview-again">
                    Preview again
                  </Button>
                  <Button appearance="primary" onClick={() => dispatch({ type: 'confirm', open: true })} isDisabled={stale || running} testId="preview-sync">
                    Sync these changes
                  </Button>
                </div>
              </>
            ) : (
              <div className="center-pad">
                <p className="muted">Preview the changes the next sync would make. Nothing is written.</p>
                <Button onClick={() => void preview(false)} isLoading={previewing} isDisabled={!account || running} testId="preview-start">
                  Preview changes
                </Button>
              </div>
            )}
          </div>
        </TabPanel>
        <TabPanel>
          <div className="tab-pad">{current === 'history' && <History directoryId={id} onReport={openReport} refreshKey={refreshKey} />}</div>
        </TabPanel>
        <TabPanel>
          <div className="tab-pad">{current === 'troubleshooting' && <Troubleshooting directoryId={id} onReport={openReport} refreshKey={refreshKey} />}</div>
        </TabPanel>
        <TabPanel>
          <div className="tab-pad">{current === 'connection' && <EditConnection dir={dir} onSaved={(d) => dispatch({ type: 'loaded', dir: d })} />}</div>
        </TabPanel>
      </Tabs>
      <ModalTransition>
        {unsaved && (
          <ModalDialog onClose={() => dispatch({ type: 'unsaved', value: null })} testId="unsaved-dialog">
            <ModalHeader>
              <ModalTitle appearance="warning">Save your settings first?</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <p>You changed the sync settings without saving them. A preview and a sync use the saved settings: save your changes to preview with them, or discard them to preview with the saved ones.</p>
            </ModalBody>
            <ModalFooter>
              <Button appearance="subtle" onClick={() => dispatch({ type: 'unsaved', value: null })}>
                Cancel
              </Button>
              <Button onClick={() => void resolveUnsaved(false)} testId="unsaved-discard">
                Discard
              </Button>
              <Button appearance="primary" onClick={() => void resolveUnsaved(true)} testId="unsaved-save">
                Save and preview
              </Button>
            </ModalFooter>
          </ModalDialog>
        )}
      </ModalTransition>
      <ModalTransition>
        {confirming && plan && <ConfirmDialog plan={plan} onConfirm={(c) => void apply(c)} onClose={() => dispatch({ type: 'confirm', open: false })} />}
      </ModalTransition>
      <ModalTransition>
        {disconnecting && (
          <ModalDialog onClose={() => dispatch({ type: 'disconnect', open: false })} testId="disconnect-dialog">
            <ModalHeader>
              <ModalTitle appearance="danger">Disconnect {dir.name}?</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <ul>
                <li>Users and groups synced so far stay in Atlassian and keep their product access; they are no longer updated.</li>
                <li>This directory's sync settings, history and reports index are removed from IdP Sync.</li>
                <li>Its Atlassian API keys and Microsoft sign-in are wiped from your keychain.</li>
              </ul>
            </ModalBody>
            <ModalFooter>
              <Button appearance="subtle" onClick={() => dispatch({ type: 'disconnect', open: false })}>
                Cancel
              </Button>
              <Button appearance="danger" onClick={() => void disconnect()} testId="disconnect-confirm">
                Disconnect
              </Button>
            </ModalFooter>
          </ModalDialog>
        )}
      </ModalTransition>
    </PageLayout>
  );
}

/** The status panel: Atlassian's three items, plus the account and the key's expiry. */
function Overview({ dir, account, progress, onEdit, onDisconnect }: { dir: backend.Directory; account: backend.Account | null; progress: Record<string, Progress>; onEdit: () => void; onDisconnect: () => void }) {
  return (
    <section className="panel" aria-label="Sync status" data-testid="status-panel">
      <LastAlert last={dir.lastAlert} />
      {['blocked', 'not_signed_in', 'key_expired'].includes(dir.status) && dir.statusReason && (
        <SectionMessage appearance="warning" title={dir.status === 'blocked' ? 'The last sync needs your attention' : directoryStatusText(dir.status)} testId="needs-attention">
          <p>{dir.statusReason}</p>
        </SectionMessage>
      )}
      {(dir.keyExpiresInDays ?? -1) >= 0 && (dir.keyExpiresInDays ?? 0) < 30 && (
        <SectionMessage appearance="warning" title="The directory API key expires soon">
          <p>Atlassian API keys expire after a year; this one expires in {dir.keyExpiresInDays} days. Create a new key and enter it in Connection.</p>
        </SectionMessage>
      )}
      <dl className="kv status-kv">
        <dt>Status</dt>
        <dd>
          <DirectoryStatus status={dir.status} />
        </dd>
        <dt>Last sync</dt>
        <dd data-testid="last-sync">
          {dir.lastRun ? (
            <>
              {formatDate(dir.lastRun.started)} <RunStatus status={dir.lastRun.status} />
              {dir.lastRun.status === 'running' ? (
                <span className="muted"> {runningText(progress)}</span>
              ) : (
                dir.lastRun.status !== 'succeeded' && <span className="muted"> {doneText(dir.lastRun)}</span>
              )}
            </>
          ) : (
            'Never'
          )}
        </dd>
        <dt>Next sync</dt>
        <dd data-testid="next-sync">{nextSyncText(dir)}</dd>
        <dt>Synced users</dt>
        <dd data-testid="synced-users">{formatCount(dir.syncedUsers)}</dd>
        <dt>Synced groups</dt>
        <dd data-testid="synced-groups">{formatCount(dir.syncedGroups)}</dd>
        <dt>Synced domains</dt>
        <dd data-testid="synced-domains">{formatCount(dir.syncedDomains)}</dd>
        <dt>Tenant</dt>
        <dd>{dir.tenantName ? `${dir.tenantName} (${dir.tenantId})` : 'Linked at the first sync'}</dd>
        <dt>Microsoft account</dt>
        <dd>{account ? account.username : 'Not signed in'}</dd>
      </dl>
      <div className="row-gap">
        <Button onClick={onEdit} testId="edit-settings">
          Edit
        </Button>
        <Button appearance="danger" onClick={onDisconnect} testId="disconnect">
          Disconnect
        </Button>
      </div>
    </section>
  );
}

function nextSyncText(dir: backend.Directory): string {
  if (dir.nextSync) return formatDate(dir.nextSync);
  switch (dir.status) {
    case 'enabled':
      return 'After the first sync you confirm';
    case 'disabled':
      return 'Automatic syncing is off';
    case 'syncing':
      return 'After this sync';
    default:
      return 'Waits for you: ' + directoryStatusText(dir.status).toLowerCase();
  }
}

/** Edit the Atlassian connection and the app registration; keys are write-only. */
export function EditConnection({ dir, onSaved }: { dir: backend.Directory; onSaved: (d: backend.Directory) => void }) {
  const flags = useFlags();
  const [input, setInput] = useState<backend.DirectoryInput>(() => ({
    ...emptyInput(),
    name: dir.name,
    cloud: dir.cloud,
    clientId: dir.clientId,
    scimBaseUrl: dir.scimBaseUrl,
    orgId: dir.orgId ?? '',
    allowCustomHost: dir.allowCustomHost,
    // The stored endpoints go back as they are: an empty field would reset them to the defaults.
    graphUrl: dir.graphUrl ?? '',
    authorityUrl: dir.authorityUrl ?? '',
    orgUrl: dir.orgUrl ?? '',
    signInTenant: dir.signInTenant ?? '',
  }));
  const [error, setError] = useState<AppError | null>(null);
  const save = async () => {
    setError(null);
    try {
      onSaved(await DirectoryService.Update(dir.id, input));
      flags.showSuccess('Connection saved');
    } catch (e) {
      setError(toAppError(e));
    }
  };
  return (
    <div>
      {error && <ErrorMessage error={error} title="The connection was not saved" />}
      <p className="muted">
        Directory API key {dir.hasScimKey ? `stored in the keychain${dir.scimKeyCreated ? `, created ${dir.scimKeyCreated}` : ''}` : 'missing'}. Organization key{' '}
        {dir.hasOrgKey ? 'stored' : 'not set'}. Application (client) ID {dir.clientId}, cloud {dir.cloud}. {plural(dir.syncedUsers, 'user')} synced.
      </p>
      <TenantField value={input.signInTenant ?? ''} pinned={dir.tenantId} onChange={(v) => setInput((i) => ({ ...i, signInTenant: v }))} />
      <AtlassianStep input={input} set={(p) => setInput((i) => ({ ...i, ...p }))} demo={null} directoryId={dir.id} onNext={() => void save()} nextLabel="Save connection" />
    </div>
  );
}
