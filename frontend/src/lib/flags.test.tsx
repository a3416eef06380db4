import { act, render, screen, waitFor } from '@testing-library/react';
import { useEffect } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../wailsjs/go/app/DirectoryService', () => ({ List: vi.fn() }));
vi.mock('../../wailsjs/go/app/SyncService', () => ({}));
vi.mock('../../wailsjs/go/app/ReportService', () => ({}));
vi.mock('../../wailsjs/runtime/runtime', () => ({ EventsOn: vi.fn(() => () => {}) }));

import * as D from '../../wailsjs/go/app/DirectoryService';
import type { backend } from '../../wailsjs/go/models';
import { StatusFlags, statusPollMs } from '../features/common/StatusFlags';
import { autoDismissMs, FlagsProvider, useFlags } from './flags';

type Api = ReturnType<typeof useFlags>;
const grabbed: { api?: Api } = {};
function Grab() {
  const flags = useFlags();
  useEffect(() => {
    grabbed.api = flags;
  }, [flags]);
  return null;
}
const api = new Proxy({} as Api, { get: (_, k: keyof Api) => grabbed.api![k] });

const dir = (status: string, extra: Partial<backend.Directory> = {}) =>
  ({ id: 'd1', name: 'Contoso', status, statusReason: `reason of ${status}`, lastRun: { status: 'failed' }, ...extra }) as unknown as backend.Directory;

// Atlaskit animates a flag out: it leaves the DOM shortly after it is dismissed.
const gone = (id: string) => waitFor(() => expect(screen.queryAllByTestId(id)).toHaveLength(0));

const titles = () => screen.queryAllByRole('alert').map((a) => a.textContent ?? '');

describe('flags (issue 13): errors stay but never pile up, info and success go by themselves', () => {
  beforeEach(() => vi.useFakeTimers({ shouldAdvanceTime: true }));
  afterEach(() => vi.useRealTimers());

  it('shows one flag per condition and lets a success go after 8 s even under an error', async () => {
    render(
      <FlagsProvider>
        <Grab />
      </FlagsProvider>,
    );
    const err = { code: 'sync_failed', message: 'it failed', action: 'Try again.' };
    act(() => {
      api.showSuccess('Settings saved');
      api.showError('The sync could not be cancelled', err);
      api.showError('The sync could not be cancelled', err);
      api.showError('The sync could not be cancelled', err);
    });
    expect(screen.getAllByTestId('flag-error')).toHaveLength(1);
    expect(screen.getAllByTestId('flag-success')).toHaveLength(1);
    expect(screen.getByTestId('flag-error')).toHaveTextContent('it failed Try again. (Error code: sync_failed)');
    await act(async () => vi.advanceTimersByTime(autoDismissMs + 100));
    await gone('flag-success');
    expect(screen.getAllByTestId('flag-error')).toHaveLength(1);
    act(() => api.clear('The sync could not be cancelled'));
    await gone('flag-error');
    await waitFor(() => expect(titles()).toEqual([]));
  });

  it('raises the status flag of a directory once, clears it when the status clears, and never flags a new directory for its sign-in', async () => {
    const list = vi.mocked(D.List);
    list.mockResolvedValue([dir('blocked'), dir('not_signed_in', { id: 'd2', name: 'Fabrikam', lastRun: undefined })]);
    render(
      <FlagsProvider>
        <StatusFlags />
      </FlagsProvider>,
    );
    expect(await screen.findByTestId('flag-error')).toHaveTextContent('Contoso: the last sync needs your attention');
    expect(screen.getByTestId('flag-error')).toHaveTextContent('reason of blocked');
    await act(async () => vi.advanceTimersByTime(statusPollMs * 3));
    expect(list.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(screen.getAllByTestId('flag-error')).toHaveLength(1); // not one per poll, none for Fabrikam
    list.mockResolvedValue([dir('enabled')]);
    await act(async () => vi.advanceTimersByTime(statusPollMs));
    await gone('flag-error');
    // A cancel that happens while the app runs is news: an info flag that goes by itself.
    list.mockResolvedValue([dir('cancelled')]);
    await act(async () => vi.advanceTimersByTime(statusPollMs));
    expect(screen.getByTestId('flag-info')).toHaveTextContent('Contoso: sync cancelled');
    await act(async () => vi.advanceTimersByTime(autoDismissMs + 100));
    await gone('flag-info');
    // Signed out after it synced: that needs the admin.
    list.mockResolvedValue([dir('not_signed_in')]);
    await act(async () => vi.advanceTimersByTime(statusPollMs));
    expect(screen.getByTestId('flag-error')).toHaveTextContent('Contoso: not signed in to Microsoft');
  });

  it('keeps a dismissed status flag dismissed until the status changes', async () => {
    const list = vi.mocked(D.List);
    list.mockResolvedValue([dir('key_expired')]);
    render(
      <FlagsProvider>
        <Grab />
        <StatusFlags />
      </FlagsProvider>,
    );
    expect(await screen.findByTestId('flag-error')).toHaveTextContent('Contoso: the directory API key has expired');
    act(() => api.clear('status:d1')); // what the flag's own dismiss does for this key
    await act(async () => vi.advanceTimersByTime(statusPollMs * 2));
    await gone('flag-error');
    list.mockResolvedValue([dir('blocked')]);
    await act(async () => vi.advanceTimersByTime(statusPollMs));
    expect(screen.getAllByTestId('flag-error')).toHaveLength(1);
  });
});
