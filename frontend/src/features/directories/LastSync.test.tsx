import { act, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const listeners = new Map<string, (d: unknown) => void>();
vi.mock('../../../wailsjs/go/app/DirectoryService', () => ({ Get: vi.fn(), Account: vi.fn() }));
vi.mock('../../../wailsjs/go/app/SyncService', () => ({ ReleasePreviews: vi.fn(), History: vi.fn() }));
vi.mock('../../../wailsjs/go/app/ReportService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({
  EventsOn: vi.fn((name: string, cb: (d: unknown) => void) => {
    listeners.set(name, cb);
    return () => listeners.delete(name);
  }),
}));

import * as D from '../../../wailsjs/go/app/DirectoryService';
import * as S from '../../../wailsjs/go/app/SyncService';
import type { backend } from '../../../wailsjs/go/models';
import { FlagsProvider } from '../../lib/flags';
import { DirectoryPage } from './DirectoryPage';

// A run in progress has done = notDone = 0 until it ends: the overview said "Running 0 of 0
// changes made" for the whole sync. It says the phase the run is in instead.
describe('the overview during a sync', () => {
  beforeEach(() => {
    vi.resetAllMocks();
    listeners.clear();
    const running = { runId: 'r1', directoryId: 'd1', kind: 'apply', status: 'running', started: '2026-12-03T08:00:00Z', durationMillis: 0, full: false, automatic: true, counts: [], done: 0, failed: 0, notDone: 0 };
    vi.mocked(D.Get).mockImplementation(async () => ({ id: 'd1', name: 'Contoso', status: 'syncing', lastRun: running, tenantId: 't1', tenantName: 'Contoso', syncedUsers: 0, syncedGroups: 0, syncedDomains: 0, warnings: [] }) as unknown as backend.Directory);
    vi.mocked(D.Account).mockImplementation(async () => ({ username: 'admin@contoso.example' }) as never);
    vi.mocked(S.History).mockImplementation(async () => []);
    vi.mocked(S.ReleasePreviews).mockImplementation(async () => ({ ok: true }) as never);
  });

  it('says what the running sync is doing, by phase, never "0 of 0 changes made"', async () => {
    render(
      <FlagsProvider>
        <DirectoryPage id="d1" tab="overview" />
      </FlagsProvider>,
    );
    const line = await screen.findByTestId('last-sync');
    await waitFor(() => expect(line).toHaveTextContent('Running'));
    expect(line).not.toHaveTextContent(/changes? made/);
    const emit = (phase: string, done: number, total: number) =>
      act(() => listeners.get('sync:progress')?.({ directoryId: 'd1', runId: 'r1', phase, done, total, rate: 0, etaSeconds: -1 }));
    emit('read_tenant', 300, 0);
    expect(line).toHaveTextContent(/Running\s*Reading Entra ID…$/);
    emit('add_members', 120, 202);
    expect(line).toHaveTextContent('Adding memberships… 120 of 202');
    expect(line).not.toHaveTextContent(/0 of 0|changes? made/);
  });
});
