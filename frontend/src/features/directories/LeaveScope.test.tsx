import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../../wailsjs/go/app/DirectoryService', () => ({ SyncSettings: vi.fn(), SaveSettings: vi.fn(), Domains: vi.fn(), Groups: vi.fn() }));
vi.mock('../../../wailsjs/go/app/SyncService', () => ({}));
vi.mock('../../../wailsjs/go/app/ReportService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: vi.fn(() => () => {}) }));

import * as D from '../../../wailsjs/go/app/DirectoryService';
import type { engine } from '../../../wailsjs/go/models';
import { FlagsProvider } from '../../lib/flags';
import { defaultSettings } from '../../test/settings';
import { codeTitle } from '../common/errors';
import { labelOf } from '../common/format';
import { planRows } from '../sync/Counts';
import { SyncSettings } from './SyncSettings';

const settings = defaultSettings;

function show(hasOrgKey: boolean, s: engine.Settings = settings) {
  vi.mocked(D.SyncSettings).mockResolvedValue(s);
  vi.mocked(D.Domains).mockResolvedValue([]);
  vi.mocked(D.SaveSettings).mockImplementation(async (_id, x) => x);
  render(
    <FlagsProvider>
      <SyncSettings directoryId="d1" running={false} hasOrgKey={hasOrgKey} onSaved={() => {}} />
    </FlagsProvider>,
  );
}

describe('When a user leaves scope (issue 18 point 11)', () => {
  beforeEach(() => vi.resetAllMocks());

  it('offers deactivate (default) or suspend access in words, and saves the choice', async () => {
    show(true);
    const field = await screen.findByTestId('leave-scope');
    expect(field).toHaveTextContent('When a user leaves scope');
    expect(within(field).getByLabelText('Deactivate the account (default)')).toBeChecked();
    expect(screen.getByTestId('leave-scope-help')).toHaveTextContent('is deactivated in Atlassian');
    expect(field).not.toHaveTextContent('suspend_user');
    expect(screen.queryByTestId('leave-scope-no-org')).toBeNull();
    const user = userEvent.setup();
    await user.click(within(field).getByLabelText('Suspend their access'));
    expect(screen.getByTestId('leave-scope-help')).toHaveTextContent(
      'keeps their Atlassian account, roles and group memberships, but cannot use any app and is not billed. When they return to scope, their access is restored',
    );
    expect(screen.getByTestId('leave-scope-help')).toHaveTextContent('count toward the deactivation threshold');
    await user.click(screen.getByTestId('save-settings'));
    await waitFor(() => expect(D.SaveSettings).toHaveBeenCalledWith('d1', expect.objectContaining({ leaveScope: 'suspend' })));
  });

  it('cannot be chosen without the organization key, and says why', async () => {
    show(false);
    const field = await screen.findByTestId('leave-scope');
    expect(within(field).getByLabelText('Suspend their access')).toBeDisabled();
    expect(screen.getByTestId('leave-scope-no-org')).toHaveTextContent('Suspending access needs the organization API key');
    expect(screen.getByTestId('leave-scope-no-org')).toHaveTextContent('Add them on the Connection tab');
  });

  it('names the suspend and restore operations in words in the preview and the counts', () => {
    expect(labelOf('suspend_user')).toBe("Suspend user's access");
    expect(labelOf('restore_user')).toBe("Restore user's access");
    expect(planRows.map((r) => r.label)).toEqual(expect.arrayContaining(["Users' access suspended", "Users' access restored"]));
    // A plan blocked because the organization key is missing says so in words.
    expect(codeTitle('suspend_unavailable')).toBe('Suspending access needs the organization API key');
  });
});
