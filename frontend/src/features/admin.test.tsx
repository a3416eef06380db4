import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// Atlaskit's first render in jsdom is slow on a shared 2-core machine.
vi.setConfig({ testTimeout: 30000 });

// The bindings call window.go, which only Wails provides: the tests stand in for Go.
vi.mock('../../wailsjs/go/app/DirectoryService', () => ({
  List: vi.fn(),
  Get: vi.fn(),
  Create: vi.fn(),
  Update: vi.fn(),
  Disconnect: vi.fn(),
  TestConnection: vi.fn(),
  SignIn: vi.fn(),
  SignInDeviceCode: vi.fn(),
  CancelSignIn: vi.fn(),
  OpenDeviceLogin: vi.fn(),
  Account: vi.fn(),
  Tenant: vi.fn(),
  Domains: vi.fn(),
  Groups: vi.fn(),
  SyncSettings: vi.fn(),
  SaveSettings: vi.fn(),
  DemoDefaults: vi.fn(),
}));
vi.mock('../../wailsjs/go/app/SyncService', () => ({
  Preview: vi.fn(),
  DecideConflict: vi.fn(),
  Apply: vi.fn(),
  Cancel: vi.fn(),
  History: vi.fn(),
  Troubleshooting: vi.fn(),
}));
vi.mock('../../wailsjs/go/app/ReportService', () => ({
  OpenRun: vi.fn(),
  OpenFile: vi.fn(),
  Operations: vi.fn(),
  Skips: vi.fn(),
  Compare: vi.fn(),
  Export: vi.fn(),
  Forget: vi.fn(),
}));
const listeners = new Map<string, (d: unknown) => void>();
vi.mock('../../wailsjs/runtime/runtime', () => ({
  EventsOn: vi.fn((name: string, cb: (d: unknown) => void) => {
    listeners.set(name, cb);
    return () => listeners.delete(name);
  }),
}));

import * as D from '../../wailsjs/go/app/DirectoryService';
import * as R from '../../wailsjs/go/app/ReportService';
import * as S from '../../wailsjs/go/app/SyncService';
import { apperr, backend, report } from '../../wailsjs/go/models';
import { FlagsProvider } from '../lib/flags';
import { testDirectory } from '../test/directory';
import { defaultSettings } from '../test/settings';
import { IdentityProvidersPage } from '../pages/IdentityProviders';
import { ErrorMessage } from './common/errors';
import { NavContext } from './common/nav';
import { AddDirectory, validateName } from './directories/AddDirectory';
import { GroupPicker } from './directories/GroupPicker';
import { SignIn, TenantCard } from './directories/SignIn';
import { SyncSettings } from './directories/SyncSettings';
import { ReportView } from './reports/ReportView';
import { ConfirmDialog } from './sync/ConfirmDialog';
import { History } from './sync/History';
import { PreviewPanel } from './sync/PreviewPanel';
import { SyncProgress, SyncResult } from './sync/Progress';
import { describeDiff } from './reports/Comparison';
import { Troubleshooting } from './sync/Troubleshooting';

const dir = testDirectory({ name: '<img src=x onerror=alert(1)> Contoso', syncedUsers: 1234, syncedGroups: 12, syncedDomains: 2, created: '2026-11-27T00:00:00Z' });

const plan: backend.PlanSummary = {
  notices: [],
  orgChecked: false,
  planId: 'p1',
  directoryId: 'd1',
  runId: 'r1',
  tenantId: '11111111-2222-3333-4444-555555555555',
  tenantName: 'Contoso',
  initialDomain: 'contoso.onmicrosoft.com',
  domains: ['contoso.com', 'fabrikam.com'],
  digest: 'dg',
  full: false,
  counts: [
    { object: 'user', action: report.Action.CreateUser, result: report.Result.Planned, n: 40 },
    { object: 'user', action: report.Action.DeactivateUser, result: report.Result.Planned, n: 7 },
    { object: 'membership', action: report.Action.AddMember, result: report.Result.Planned, n: 90 },
  ],
  operations: 100000,
  skips: 3,
  conflicts: [
    { groupEntraId: 'g1', displayName: 'Engineering', atlassianId: 'a1', decision: '', wouldAdd: ['ann@contoso.com'], wouldRemove: ['bob@contoso.com'], addCount: 1, removeCount: 1, scope: 'directory', defaultAccess: false, canTakeOver: true, hint: '' },
  ],
  blocked: [],
  deactivations: 7,
  managedUsers: 50,
  thresholdTripped: false,
  membershipRemovals: 12,
  managedMemberships: 400,
  deletedGroups: 0,
  removalThresholdTripped: false,
  readShrinkTripped: false,
  reportPath: '/r.json',
  created: '2026-11-27T01:00:00Z',
  expiresInSeconds: 1800,
};

function op(i: number): report.Operation {
  return { seq: i, action: report.Action.AddMember, object: { type: 'user', name: `User ${i}`, email: `u${i}@contoso.com` }, group: { type: 'group', name: 'All' }, chain: ['All', 'Team'], result: report.Result.Planned };
}

/** The preview's report as OpenRun opens it: the plan's lists are paged from it. */
const previewHandle = { id: 'h-preview', path: '/r.json', name: 'r.json', summary: { runId: 'r1', kind: 'preview', status: 'planned', operations: 100000, skips: 3 } } as never;

/** The preview's lists answered by the report service, as the backend pages them. */
function pages(ops: (q: report.Query) => { rows: report.Operation[]; total: number }, skips: report.Skip[] = []) {
  vi.mocked(R.OpenRun).mockResolvedValue(previewHandle);
  vi.mocked(R.Operations).mockImplementation(async (_h, q) => ({ ...ops(q), offset: q.offset, index: [] }) as never);
  vi.mocked(R.Skips).mockResolvedValue({ rows: skips, total: skips.length, offset: 0, index: [] } as never);
}

beforeEach(() => {
  for (const m of [D, S, R]) for (const f of Object.values(m)) (f as ReturnType<typeof vi.fn>).mockReset();
  listeners.clear();
  vi.mocked(D.DemoDefaults).mockResolvedValue({ demo: false });
});

describe('identity providers list', () => {
  it('shows the empty state with Add identity provider', async () => {
    vi.mocked(D.List).mockResolvedValue([]);
    render(<IdentityProvidersPage />);
    expect(await screen.findByTestId('idp-empty')).toHaveTextContent('Add an identity provider');
    expect(screen.getByRole('button', { name: 'Add identity provider' })).toBeInTheDocument();
  });

  it('lists directories with status and counts, names as text', async () => {
    vi.mocked(D.List).mockResolvedValue([dir]);
    const { container } = render(<IdentityProvidersPage />);
    const table = await screen.findByTestId('idp-table');
    expect(within(table).getByText(dir.name)).toBeInTheDocument();
    expect(container.querySelector('img[src="x"]')).toBeNull();
    expect(table).toHaveTextContent('Microsoft Azure AD');
    expect(table).toHaveTextContent('Automatic');
    expect(table).toHaveTextContent('Sync enabled');
    expect(table).toHaveTextContent('1,234 users, 12 groups');
  });

  it('shows a backend error as a section message with code and action', async () => {
    vi.mocked(D.List).mockRejectedValue({ code: 'store_corrupt', message: 'the saved settings cannot be read' });
    render(<IdentityProvidersPage />);
    const msg = await screen.findByTestId('error-message');
    expect(msg).toHaveTextContent('the saved settings cannot be read');
    expect(msg).toHaveTextContent('Restore the IdP Sync data folder');
    expect(msg).toHaveTextContent('Error code: store_corrupt');
  });
});

describe('add identity provider', () => {
  it('validates the name: required, unique, length', () => {
    expect(validateName('  ', [])).toMatch(/Enter a name/);
    expect(validateName('Contoso', ['contoso'])).toMatch(/already/);
    expect(validateName('x'.repeat(101), [])).toMatch(/at most 100/);
    expect(validateName('Contoso', ['Fabrikam'])).toBeUndefined();
  });

  it('walks provider, name, Atlassian test with per-part results, app registration', async () => {
    vi.mocked(D.List).mockResolvedValue([dir]);
    vi.mocked(D.TestConnection).mockResolvedValue({
      scimUrl: { ok: true, message: 'the directory answers' },
      scimKey: { ok: false, code: apperr.Code.AtlassianUnauthorized, message: 'the directory API key was refused', action: 'Enter the key again.' },
      orgKey: { ok: false, skipped: true, message: 'no organization API key entered' },
      orgFound: { ok: false, skipped: true, message: 'no organization id entered' },
      userCount: 0,
    });
    const user = userEvent.setup();
    render(
      <FlagsProvider>
        <AddDirectory />
      </FlagsProvider>,
    );
    const step1 = screen.getByTestId('add-step-provider');
    expect(step1).toHaveTextContent('Okta');
    expect(step1).toHaveTextContent('Not available in this app');
    await user.click(screen.getByTestId('provider-azure'));
    await user.click(screen.getByTestId('name-next'));
    expect(screen.getByTestId('dir-name-error')).toHaveTextContent('Enter a name');
    await user.type(screen.getByTestId('dir-name'), dir.name);
    await user.click(screen.getByTestId('name-next'));
    expect(screen.getByTestId('dir-name-error')).toHaveTextContent('already has this name');
    await user.clear(screen.getByTestId('dir-name'));
    await user.type(screen.getByTestId('dir-name'), 'Fabrikam');
    expect(screen.getByText('Automatically set up user provisioning')).toBeInTheDocument();
    await user.click(screen.getByTestId('name-next'));
    await user.type(screen.getByTestId('scim-url'), 'https://api.atlassian.com/scim/directory/abc');
    await user.type(screen.getByTestId('scim-key'), 'wrong');
    await user.click(screen.getByTestId('test-connection'));
    const res = await screen.findByTestId('connection-result');
    expect(within(res).getByTestId('check-scimUrl')).toHaveAttribute('data-state', 'ok');
    expect(within(res).getByTestId('check-scimKey')).toHaveAttribute('data-state', 'failed');
    expect(within(res).getByTestId('check-scimKey')).toHaveTextContent('Enter the key again. (error code: atlassian_unauthorized)');
    expect(within(res).getByTestId('check-orgKey')).toHaveAttribute('data-state', 'skipped');
    expect(D.TestConnection).toHaveBeenCalledWith('', expect.objectContaining({ name: 'Fabrikam', scimApiKey: 'wrong' }));
    // A refused key blocks Next until the key changes.
    expect(screen.getByTestId('atlassian-next')).toBeDisabled();
    await user.type(screen.getByTestId('scim-key'), '-fixed');
    expect(screen.getByTestId('atlassian-next')).toBeEnabled();
    await user.click(screen.getByTestId('atlassian-next'));
    expect(screen.getByTestId('add-step-microsoft')).toHaveTextContent('GroupMember.Read.All');
    expect(screen.getByTestId('create-directory')).toBeDisabled();
  });

  it('waits for sign-in with a cancel, and shows the device code', async () => {
    let reject: (e: unknown) => void = () => {};
    vi.mocked(D.SignInDeviceCode).mockReturnValue(new Promise((_, rj) => (reject = rj)));
    vi.mocked(D.CancelSignIn).mockImplementation(async () => {
      reject({ code: 'auth_canceled', message: 'the sign-in was cancelled' });
      return { ok: true };
    });
    const user = userEvent.setup();
    render(<SignIn directoryId="d1" onSignedIn={() => {}} />);
    await user.click(screen.getByTestId('signin-device'));
    expect(await screen.findByTestId('signin-waiting')).toBeInTheDocument();
    act(() => listeners.get('auth:devicecode')?.({ directoryId: 'd1', userCode: 'ABCD-1234', url: 'https://microsoft.com/devicelogin', message: 'Enter the code' }));
    expect(await screen.findByText('ABCD-1234')).toBeInTheDocument();
    await user.click(screen.getByTestId('signin-cancel'));
    expect(D.CancelSignIn).toHaveBeenCalledWith('d1');
    expect(await screen.findByText('Sign-in cancelled')).toBeInTheDocument();
  });

  it('shows the tenant card with the correct-tenant warning, or the mismatch', async () => {
    vi.mocked(D.Tenant).mockResolvedValue({ id: 't1', displayName: 'Contoso', initialDomain: 'contoso.onmicrosoft.com', defaultDomain: 'contoso.com', mismatch: false });
    const { unmount } = render(<TenantCard directoryId="d1" />);
    expect(await screen.findByTestId('tenant-warning')).toHaveTextContent('link the correct tenant');
    expect(screen.getByTestId('tenant-name')).toHaveTextContent('Contoso');
    unmount();
    vi.mocked(D.Tenant).mockResolvedValue({ id: 't2', displayName: 'Other', initialDomain: 'o.onmicrosoft.com', defaultDomain: '', pinnedTenantId: 't1', mismatch: true });
    render(<TenantCard directoryId="d1" />);
    expect(await screen.findByTestId('tenant-mismatch')).toHaveTextContent('t1');
  });
});

const settings = defaultSettings;

describe('sync settings', () => {
  it('lists domains with Entra verification and claim status; saves specific domains; says changes apply next while running', async () => {
    vi.mocked(D.SyncSettings).mockResolvedValue(settings);
    vi.mocked(D.Domains).mockResolvedValue([
      { name: 'contoso.com', verifiedInEntra: true, isDefault: true, isInitial: false, atlassianStatus: 'verified', selectable: true, selected: true },
      { name: 'fabrikam.com', verifiedInEntra: true, isDefault: false, isInitial: false, atlassianStatus: 'unverified', selectable: true, selected: true },
      { name: 'pending.com', verifiedInEntra: false, isDefault: false, isInitial: false, atlassianStatus: 'not_claimed', selectable: false, selected: false },
    ]);
    vi.mocked(D.SaveSettings).mockImplementation(async (_id, s) => s);
    const onSaved = vi.fn();
    const user = userEvent.setup();
    render(
      <FlagsProvider>
        <SyncSettings directoryId="d1" running onSaved={onSaved} />
      </FlagsProvider>,
    );
    expect(await screen.findByTestId('settings-running')).toHaveTextContent('your changes apply only to the next sync');
    const table = await screen.findByTestId('domain-table');
    expect(within(table).getByTestId('domain-pending.com')).toHaveTextContent('Not verified');
    expect(within(table).getByTestId('domain-fabrikam.com')).toHaveTextContent('Unverified');
    await user.click(screen.getByText('Verify only specific domains'));
    await user.click(within(table).getByRole('checkbox', { name: 'Sync contoso.com' }));
    expect(within(table).getByRole('checkbox', { name: 'Sync pending.com' })).toBeDisabled();
    await user.click(screen.getByTestId('save-settings'));
    await waitFor(() => expect(D.SaveSettings).toHaveBeenCalledWith('d1', expect.objectContaining({ domainMode: 'specific', domains: ['contoso.com'] })));
    expect(onSaved).toHaveBeenCalled();
  });

  it('asks before saving the deletion of groups that leave the scope, and reports unsaved edits', async () => {
    vi.mocked(D.SyncSettings).mockResolvedValue({ ...settings, deleteOutOfScopeGroups: false });
    vi.mocked(D.Domains).mockResolvedValue([]);
    vi.mocked(D.SaveSettings).mockImplementation(async (_id, s) => s);
    const onDraft = vi.fn();
    const user = userEvent.setup();
    render(
      <FlagsProvider>
        <SyncSettings directoryId="d1" running={false} onSaved={() => {}} onDraft={onDraft} />
      </FlagsProvider>,
    );
    await user.click(await screen.findByText('Delete them from Atlassian'));
    expect(screen.getByTestId('settings-unsaved')).toHaveTextContent('Unsaved changes');
    expect(onDraft).toHaveBeenLastCalledWith(expect.objectContaining({ save: expect.any(Function), discard: expect.any(Function) }));
    await user.click(screen.getByTestId('save-settings'));
    expect(await screen.findByTestId('confirm-delete-groups')).toHaveTextContent('cannot be restored');
    expect(D.SaveSettings).not.toHaveBeenCalled();
    await user.click(screen.getByTestId('confirm-delete-groups-yes'));
    await waitFor(() => expect(D.SaveSettings).toHaveBeenCalledWith('d1', expect.objectContaining({ deleteOutOfScopeGroups: true })));
    await waitFor(() => expect(onDraft).toHaveBeenLastCalledWith(null));
  });

  it('shows a refused save with its message and action', async () => {
    vi.mocked(D.SyncSettings).mockResolvedValue(settings);
    vi.mocked(D.Domains).mockResolvedValue([]);
    vi.mocked(D.SaveSettings).mockRejectedValue({ code: 'invalid_input', message: 'no group is selected', action: 'Select at least one group.' });
    const user = userEvent.setup();
    render(
      <FlagsProvider>
        <SyncSettings directoryId="d1" running={false} onSaved={() => {}} />
      </FlagsProvider>,
    );
    await user.click(await screen.findByTestId('save-settings'));
    const err = await screen.findByTestId('settings-error');
    expect(err).toHaveTextContent('no group is selected');
    expect(err).toHaveTextContent('Select at least one group.');
  });
});

describe('group picker', () => {
  it('keeps 10,000 groups fast: only the rows in view exist; expands subgroups; searches', async () => {
    const all = Array.from({ length: 10000 }, (_, i) => ({ id: `g${i}`, displayName: `Group ${String(i).padStart(5, '0')}`, subgroups: i === 0 ? 1 : 0, users: i * 3, selected: false, implied: false, overLimit: false, hasChildren: i === 0 }));
    vi.mocked(D.Groups).mockImplementation(async (_id, q) => {
      if (q.parentId) return { groups: [{ id: 'child', displayName: 'Nested team', subgroups: 0, users: 5, selected: false, implied: false, overLimit: false, hasChildren: false }], total: 1 };
      const src = q.search ? all.filter((g) => g.displayName.includes(q.search!)) : all;
      return { groups: src.slice(q.offset, q.offset + q.limit), total: src.length };
    });
    const onChange = vi.fn();
    const user = userEvent.setup();
    const t0 = performance.now();
    const { rerender } = render(<GroupPicker directoryId="d1" selected={[]} onChange={onChange} />);
    const tree = await screen.findByTestId('group-tree');
    const rows = within(tree).getAllByTestId('group-row');
    expect(rows.length).toBeLessThan(60);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(rows[0]).toHaveTextContent('Group 00000');
    expect(rows[1]).toHaveTextContent('3');
    await user.click(screen.getByRole('checkbox', { name: 'Group 00000' }));
    expect(onChange).toHaveBeenCalledWith(['g0']);
    rerender(<GroupPicker directoryId="d1" selected={['g0']} onChange={onChange} />);
    await user.click(screen.getByRole('button', { name: 'Expand Group 00000' }));
    const child = await screen.findByRole('checkbox', { name: 'Nested team' });
    expect(child).toBeChecked();
    expect(child).toBeDisabled();
    expect(screen.getByText('included by a selected parent')).toBeInTheDocument();
    await user.type(screen.getByTestId('group-search'), '09999');
    await waitFor(() => expect(within(screen.getByTestId('group-tree')).getAllByTestId('group-row')).toHaveLength(1));
    expect(D.Groups).toHaveBeenCalledWith('d1', expect.objectContaining({ search: '09999' }));
  });
});

describe('domain confirmation dialog', () => {
  it('keeps Sync disabled until ticked, shows tenant, domains, counts and held conflicts', async () => {
    const onConfirm = vi.fn();
    const user = userEvent.setup();
    render(<ConfirmDialog plan={plan} onConfirm={onConfirm} onClose={() => {}} />);
    const dialog = await screen.findByTestId('confirm-dialog');
    expect(within(dialog).getByTestId('confirm-tenant')).toHaveTextContent('Contoso (11111111-2222-3333-4444-555555555555)');
    expect(within(dialog).getByTestId('confirm-domains')).toHaveTextContent('contoso.comfabrikam.com');
    expect(within(dialog).getByTestId('count-create_user')).toHaveTextContent('40');
    expect(within(dialog).getByTestId('count-deactivate_user')).toHaveTextContent('7');
    expect(within(dialog).getByTestId('confirm-conflicts')).toHaveTextContent('Engineering');
    const sync = within(dialog).getByTestId('confirm-sync');
    expect(sync).toBeDisabled();
    await user.click(sync);
    expect(onConfirm).not.toHaveBeenCalled();
    await user.click(within(dialog).getByText(/I confirm that Contoso/));
    expect(sync).toBeEnabled();
    await user.click(sync);
    expect(onConfirm).toHaveBeenCalledWith({ tenantId: plan.tenantId, domains: plan.domains, planDigest: 'dg', overrideThreshold: false, overrideRemovalThreshold: false, overrideReadShrink: false });
  });

  it('needs the override when the deactivation threshold trips', async () => {
    const user = userEvent.setup();
    render(<ConfirmDialog plan={{ ...plan, thresholdTripped: true, blocked: [{ code: 'threshold_exceeded', message: 'too many' }] }} onConfirm={() => {}} onClose={() => {}} />);
    const dialog = await screen.findByTestId('confirm-dialog');
    expect(within(dialog).getByTestId('confirm-threshold')).toHaveTextContent('7 of 50 managed users');
    await user.click(within(dialog).getByText(/I confirm that/));
    expect(within(dialog).getByTestId('confirm-sync')).toBeDisabled();
    await user.click(within(dialog).getByText(/for this sync only/));
    expect(within(dialog).getByTestId('confirm-sync')).toBeEnabled();
  });

  it('needs its own override for each rail: membership removals, a shrunken read, deactivations (issue 14 point 2)', async () => {
    const user = userEvent.setup();
    const onConfirm = vi.fn();
    const blocked = [
      { code: 'threshold_exceeded', message: 'too many' },
      { code: 'removal_threshold_exceeded', message: 'removes 1,000' },
      { code: 'read_shrank', message: 'Entra returned far fewer objects than at the last sync: 20 users where the last sync read 150' },
    ];
    render(
      <ConfirmDialog
        plan={{ ...plan, thresholdTripped: true, removalThresholdTripped: true, readShrinkTripped: true, membershipRemovals: 1000, managedMemberships: 1200, deletedGroups: 2, blocked }}
        onConfirm={onConfirm}
        onClose={() => {}}
      />,
    );
    const dialog = await screen.findByTestId('confirm-dialog');
    expect(within(dialog).getByTestId('confirm-removal-threshold')).toHaveTextContent('1,000 of 1,200 group memberships would be removed, 2 deleted groups included');
    expect(within(dialog).getByTestId('confirm-read-shrink')).toHaveTextContent('20 users where the last sync read 150');
    expect(within(dialog).queryByTestId('confirm-blocked')).toBeNull();
    const sync = within(dialog).getByTestId('confirm-sync');
    await user.click(within(dialog).getByText(/I confirm that/));
    await user.click(within(dialog).getByText(/Deactivate them anyway/));
    expect(sync).toBeDisabled();
    await user.click(within(dialog).getByText(/Remove them anyway/));
    expect(sync).toBeDisabled();
    await user.click(within(dialog).getByText(/really deleted: sync anyway/));
    expect(sync).toBeEnabled();
    await user.click(sync);
    expect(onConfirm).toHaveBeenCalledWith({ tenantId: plan.tenantId, domains: plan.domains, planDigest: 'dg', overrideThreshold: true, overrideRemovalThreshold: true, overrideReadShrink: true });
  });
});

describe('preview', () => {
  it('virtualizes 100,000 changes, filters by type and search, decides conflicts', async () => {
    pages((q) => ({ rows: Array.from({ length: Math.min(q.limit, 100) }, (_, i) => op(q.offset + i)), total: q.text === 'nobody' ? 0 : 100000 }));
    vi.mocked(S.DecideConflict).mockResolvedValue({ ...plan, conflicts: [{ ...plan.conflicts[0], decision: 'take_over' }] });
    const onPlan = vi.fn();
    const user = userEvent.setup();
    render(<PreviewPanel plan={plan} onPlan={onPlan} stale={false} />);
    const list = await screen.findByTestId('ops-list');
    expect(await screen.findByTestId('ops-total')).toHaveTextContent('100,000 changes');
    expect(within(list).getAllByRole('listitem').length).toBeLessThan(60);
    expect(within(list).getAllByTestId('op-row')[0]).toHaveTextContent('via All › Team');
    await user.type(screen.getByTestId('ops-search'), 'nobody');
    expect(await screen.findByText('No change matches.')).toBeInTheDocument();
    expect(R.OpenRun).toHaveBeenCalledWith('r1');
    expect(R.Operations).toHaveBeenLastCalledWith('h-preview', expect.objectContaining({ text: 'nobody', offset: 0 }));
    const conflict = screen.getByTestId('conflict-Engineering');
    expect(conflict).toHaveTextContent('+ ann@contoso.com');
    expect(conflict).toHaveTextContent('− bob@contoso.com');
    await user.click(within(conflict).getByTestId('conflict-take-over'));
    await waitFor(() => expect(S.DecideConflict).toHaveBeenCalledWith('p1', 'g1', 'take_over'));
    expect(onPlan).toHaveBeenCalledWith(expect.objectContaining({ conflicts: [expect.objectContaining({ decision: 'take_over' })] }));
  });

  it('lists what is left out with name, email, type and the reason in words, and opens its detail', async () => {
    pages(() => ({ rows: [], total: 0 }), [{ object: { type: 'user', name: 'Zoë Ångström', email: 'zoe@fabrikam.example', entraId: 'u-9' }, reason: 'domain_not_selected', detail: 'fabrikam.example' }]);
    const user = userEvent.setup();
    render(<PreviewPanel plan={plan} onPlan={() => {}} stale={false} />);
    await user.click(await screen.findByTestId('tab-skips'));
    const row = await screen.findByTestId('skip-row');
    expect(row).toHaveTextContent('Zoë Ångström');
    expect(row).toHaveTextContent('zoe@fabrikam.example');
    expect(row).toHaveTextContent('User');
    expect(row).toHaveTextContent('Email domain not selected in the sync settings');
    expect(row).not.toHaveTextContent('domain_not_selected');
    await user.click(row);
    const detail = await screen.findByTestId('skip-detail');
    expect(detail).toHaveTextContent('Entra object IDu-9');
    expect(detail).toHaveTextContent('Reason codedomain_not_selected');
  });

  it('says there is nothing to change (not "No change matches.") for an empty plan, in singular and plural', async () => {
    pages((q) => (q.text ? { rows: [op(0)], total: 1 } : { rows: [], total: 0 }));
    const user = userEvent.setup();
    render(<PreviewPanel plan={plan} onPlan={() => {}} stale={false} />);
    expect(await screen.findByText('Nothing to change: Atlassian already matches Entra ID for this scope.')).toBeInTheDocument();
    expect(screen.getByTestId('ops-total')).toHaveTextContent('0 changes');
    await user.type(screen.getByTestId('ops-search'), 'ann');
    await waitFor(() => expect(screen.getByTestId('ops-total')).toHaveTextContent(/^1 matching change$/));
  });

  it('says when the settings changed after the preview', () => {
    pages(() => ({ rows: [], total: 0 }));
    render(<PreviewPanel plan={plan} onPlan={() => {}} stale />);
    expect(screen.getByTestId('preview-stale')).toHaveTextContent('Preview again');
  });
});

describe('progress, history and troubleshooting', () => {
  it('says a cancelled sync is cancelled, with what was and was not made', () => {
    render(
      <SyncResult
        run={{ runId: 'r', directoryId: 'd1', kind: 'apply', status: 'canceled', started: '2026-11-27T00:00:00Z', durationMillis: 3000, full: false, automatic: false, counts: [{ object: 'user', action: report.Action.ReactivateUser, result: report.Result.Succeeded, n: 1 }, { object: 'user', action: report.Action.ReactivateUser, result: report.Result.Planned, n: 81 }], done: 1, failed: 0, notDone: 81 }}
        error={null}
        onReport={() => {}}
        onDismiss={() => {}}
      />,
    );
    const r = screen.getByTestId('sync-result');
    expect(r).toHaveTextContent('Sync cancelled');
    expect(screen.getByTestId('result-done')).toHaveTextContent('1 of 82 changes made, 81 not made');
    // Only what was made is counted as made.
    expect(screen.getByTestId('count-reactivate_user')).toHaveTextContent('1');
  });

  it('shows a bar per phase with counts, rate and time left, and a cancel that explains', async () => {
    const onCancel = vi.fn();
    const user = userEvent.setup();
    render(
      <SyncProgress
        canceling={false}
        onCancel={onCancel}
        progress={{
          read_tenant: { directoryId: 'd1', runId: 'r', phase: 'read_tenant', done: 300, total: 0, rate: 0, etaSeconds: -1 },
          users: { directoryId: 'd1', runId: 'r', phase: 'users', done: 120, total: 300, rate: 40, etaSeconds: 4.5 },
        }}
      />,
    );
    expect(screen.getByTestId('phase-users')).toHaveTextContent('120 of 300 · 40/s · about 5 s left');
    expect(screen.getByTestId('phase-read_tenant')).toHaveTextContent('Read Entra ID');
    await user.click(screen.getByTestId('sync-cancel'));
    expect(await screen.findByTestId('cancel-dialog')).toHaveTextContent('nothing is rolled back');
    await user.click(screen.getByTestId('cancel-confirm'));
    expect(onCancel).toHaveBeenCalled();
  });

  it('lists runs with status, duration, counts and errors, and opens reports', async () => {
    vi.mocked(S.History).mockResolvedValue([
      {
        directoryName: 'Contoso',
        run: { runId: 'r1', directoryId: 'd1', kind: 'apply', status: 'partial', started: '2026-11-27T01:00:00Z', durationMillis: 65000, full: false, automatic: true, counts: [{ object: 'user', action: report.Action.CreateUser, result: report.Result.Succeeded, n: 5 }], done: 5, failed: 0, notDone: 0, errorCode: 'atlassian_rejected', errorMessage: 'one user was rejected', reportPath: '/r.json' },
      },
      {
        directoryName: 'Contoso',
        run: { runId: 'r2', directoryId: 'd1', kind: 'apply', status: 'canceled', started: '2026-11-27T00:00:00Z', durationMillis: 3000, full: false, automatic: false, counts: [{ object: 'user', action: report.Action.CreateUser, result: report.Result.Succeeded, n: 12 }, { object: 'user', action: report.Action.CreateUser, result: report.Result.Planned, n: 347 }], done: 12, failed: 0, notDone: 347, reportPath: '/c.json' },
      },
    ]);
    const onReport = vi.fn();
    const user = userEvent.setup();
    render(<History onReport={onReport} showDirectory />);
    const table = await screen.findByTestId('history-table');
    expect(table).toHaveTextContent('Partly failed');
    expect(table).toHaveTextContent('1 min 5 s');
    expect(table).toHaveTextContent('5 users');
    expect(table).toHaveTextContent('one user was rejected');
    expect(table).toHaveTextContent('Automatic');
    // A cancelled sync says how much it did and did not do.
    expect(table).toHaveTextContent('Cancelled');
    expect(table).toHaveTextContent('12 of 359 changes made, 347 not made');
    await user.click(within(table).getAllByTestId('history-report')[0]);
    expect(onReport).toHaveBeenCalledWith('r1');
  });

  it('shows the errors of the last runs with code, object and action', async () => {
    vi.mocked(S.Troubleshooting).mockResolvedValue([
      { runId: 'r1', started: '2026-11-27T01:00:00Z', kind: 'apply', code: 'atlassian_rejected', message: 'userName is invalid', object: { type: 'user', name: 'Ann', email: 'ann@contoso.com' }, action: report.Action.CreateUser },
    ]);
    render(<Troubleshooting directoryId="d1" onReport={() => {}} />);
    const row = await screen.findByTestId('trouble-row');
    // The code's words, Atlassian's message, the object, the code itself and what to do.
    for (const text of ['Atlassian rejected a change', 'userName is invalid', 'ann@contoso.com', 'Code: atlassian_rejected', 'correct the object in Entra']) {
      expect(row).toHaveTextContent(text);
    }
  });
});

describe('report comparison', () => {
  it('says what changed in words, not codes', () => {
    const text = describeDiff({ type: 'user', name: 'Ann', skipA: 'domain_not_selected', skipB: '', membersAdded: 1, membersRemoved: 2, changed: [{ action: 'create_user', resultA: 'planned', resultB: 'succeeded' }] } as never);
    expect(text).toBe('~ Create user: planned → made; left out (Email domain not selected in the sync settings) → in scope; 1 membership new; 2 memberships gone');
    expect(text).not.toMatch(/_/);
  });
});

describe('report view', () => {
  it('shows summary, chart and operations, and exports pseudonymized', async () => {
    vi.mocked(R.OpenRun).mockResolvedValue({
      id: 'h1',
      path: '/r.json',
      name: 'r.json',
      summary: {
        runId: 'r1',
        kind: 'apply',
        status: 'succeeded',
        appVersion: 'v1',
        directory: { id: 'd1', name: 'Contoso' },
        tenant: { id: 't1', name: 'Contoso tenant' },
        confirmation: { tenantId: 't1', domains: ['contoso.com'], planDigest: 'dg', account: 'admin@contoso.com', at: '', automatic: false },
        settings: {} as never,
        started: '2026-11-27T01:00:00Z',
        ended: '2026-11-27T01:01:00Z',
        durationNs: 60e9,
        phases: [],
        counts: [
          { object: 'user', action: 'create_user', result: 'succeeded', n: 9 },
          { object: 'user', action: 'create_user', result: 'failed', n: 1 },
        ],
        operations: 10,
        skips: 0,
        failed: 1,
        pseudonymized: false,
      },
    } as never);
    vi.mocked(R.Operations).mockResolvedValue({ total: 1, offset: 0, rows: [{ seq: 1, action: 'create_user', object: { type: 'user', name: 'Ann <script>', email: 'ann@contoso.com' }, result: 'failed', code: 'atlassian_rejected' }], index: [0] } as never);
    vi.mocked(R.Skips).mockResolvedValue({ total: 0, offset: 0, rows: [], index: [] } as never);
    vi.mocked(S.History).mockResolvedValue([]);
    vi.mocked(R.Export).mockResolvedValue({ files: ['/tmp/r.html'] });
    const user = userEvent.setup();
    render(
      <FlagsProvider>
        <NavContext.Provider value={() => {}}>
          <ReportView runId="r1" />
        </NavContext.Provider>
      </FlagsProvider>,
    );
    expect(await screen.findByTestId('report-summary')).toHaveTextContent('admin@contoso.com');
    expect(screen.getByTestId('report-chart')).toHaveTextContent('Create user10 · 1 failed');
    expect(await screen.findByText('Ann <script>')).toBeInTheDocument();
    await user.click(screen.getByText('Pseudonymize names and emails'));
    await user.click(screen.getByTestId('export-html'));
    await waitFor(() => expect(R.Export).toHaveBeenCalledWith('h1', { format: 'html', gzip: false, pseudonymize: true, keepDomains: false }));
    expect(await screen.findByText('Report exported')).toBeInTheDocument();
  });

  it('explains a report that cannot be opened', async () => {
    vi.mocked(R.OpenRun).mockRejectedValue({ code: 'report_unsupported_version', message: 'schema version 9 is not supported' });
    render(<ReportView runId="r1" />);
    const err = await screen.findByTestId('report-error');
    expect(err).toHaveTextContent('schema version 9 is not supported');
    expect(err).toHaveTextContent('Open it with the version of IdP Sync that wrote it.');
  });
});

describe('errors', () => {
  it('never shows a bare code: title and fallback action come from the code table', () => {
    render(<ErrorMessage error={{ code: 'sync_locked', message: 'another sync of this directory is running' }} />);
    expect(screen.getByTestId('error-message')).toHaveTextContent('A sync is already running');
    expect(screen.getByTestId('error-message')).toHaveTextContent('Wait for it to finish');
  });
});
