import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../../wailsjs/go/app/DirectoryService', () => ({
  KeepSyncing: vi.fn(),
  StopKeepSyncing: vi.fn(),
  KeepSyncingStatus: vi.fn(),
}));
vi.mock('../../../wailsjs/go/app/SyncService', () => ({}));
vi.mock('../../../wailsjs/go/app/ReportService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: vi.fn(() => () => {}) }));

import * as D from '../../../wailsjs/go/app/DirectoryService';
import { KeepSyncing } from './KeepSyncing';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const status = (installed: boolean, upToDate: boolean | undefined = true): any => ({ installed, upToDate, files: [], command: [] });

describe('Keep syncing when IdP Sync is closed (issue 16 point 5)', () => {
  beforeEach(() => vi.resetAllMocks());

  it('installs the system schedule at the chosen interval and removes it again', async () => {
    vi.mocked(D.KeepSyncingStatus).mockResolvedValue(status(false));
    vi.mocked(D.KeepSyncing).mockResolvedValue(status(true));
    vi.mocked(D.StopKeepSyncing).mockResolvedValue({ ok: true });
    render(<KeepSyncing directoryId="d1" everyMinutes={240} />);
    const box = screen.getByRole('checkbox', { name: 'Keep syncing when IdP Sync is closed' });
    await waitFor(() => expect(D.KeepSyncingStatus).toHaveBeenCalledWith('d1', 240));
    expect(box).not.toBeChecked();
    await userEvent.click(box);
    await waitFor(() => expect(box).toBeChecked());
    expect(D.KeepSyncing).toHaveBeenCalledWith('d1', 240);
    await userEvent.click(box);
    await waitFor(() => expect(box).not.toBeChecked());
    expect(D.StopKeepSyncing).toHaveBeenCalledWith('d1');
  });

  it('says when the installed schedule is stale, and shows a refusal with its code', async () => {
    vi.mocked(D.KeepSyncingStatus).mockResolvedValue(status(true, false));
    vi.mocked(D.StopKeepSyncing).mockRejectedValue({ code: 'confirmation_required', message: 'no confirmed sync yet' });
    render(<KeepSyncing directoryId="d1" everyMinutes={60} />);
    expect(await screen.findByText(/uses another interval or an older confirmation/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('checkbox', { name: 'Keep syncing when IdP Sync is closed' }));
    expect(await screen.findByTestId('keep-syncing-error')).toHaveTextContent('confirmation_required');
  });
});
