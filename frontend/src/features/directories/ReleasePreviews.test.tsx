import { render, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../../wailsjs/go/app/DirectoryService', () => ({ Get: vi.fn(), Account: vi.fn() }));
vi.mock('../../../wailsjs/go/app/SyncService', () => ({ ReleasePreviews: vi.fn(), History: vi.fn() }));
vi.mock('../../../wailsjs/go/app/ReportService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: vi.fn(() => () => {}) }));

import * as D from '../../../wailsjs/go/app/DirectoryService';
import * as S from '../../../wailsjs/go/app/SyncService';
import type { backend } from '../../../wailsjs/go/models';
import { FlagsProvider } from '../../lib/flags';
import { DirectoryPage } from './DirectoryPage';

// Issue 15: a preview the admin walks away from releases its plan when the directory's page
// closes, not at the next preview.
describe('leaving a directory releases its preview', () => {
  beforeEach(() => {
    vi.resetAllMocks();
    vi.mocked(D.Get).mockImplementation(async () => ({ id: 'd1', name: 'Contoso', status: 'enabled' }) as unknown as backend.Directory);
    vi.mocked(D.Account).mockImplementation(async () => null as never);
    vi.mocked(S.History).mockImplementation(async () => []);
    vi.mocked(S.ReleasePreviews).mockImplementation(async () => ({ ok: true }) as never);
  });

  it('asks the backend to drop the previews of the directory it leaves, once, and not while it stays', async () => {
    const { rerender, unmount } = render(
      <FlagsProvider>
        <DirectoryPage id="d1" tab="overview" />
      </FlagsProvider>,
    );
    await waitFor(() => expect(D.Get).toHaveBeenCalledWith('d1'));
    rerender(
      <FlagsProvider>
        <DirectoryPage id="d1" tab="settings" />
      </FlagsProvider>,
    );
    expect(S.ReleasePreviews).not.toHaveBeenCalled();
    unmount();
    await waitFor(() => expect(S.ReleasePreviews).toHaveBeenCalledTimes(1));
    expect(S.ReleasePreviews).toHaveBeenCalledWith('d1');
  });
});
