import { render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 30000 });

vi.mock('../../../wailsjs/go/app/SyncService', () => ({ History: vi.fn() }));
vi.mock('../../../wailsjs/go/app/ReportService', () => ({ Operations: vi.fn(), Forget: vi.fn() }));

import * as R from '../../../wailsjs/go/app/ReportService';
import * as S from '../../../wailsjs/go/app/SyncService';
import { report } from '../../../wailsjs/go/models';
import { CountsChart } from '../reports/ReportView';
import { History } from '../sync/History';
import { membershipActions, sumBy } from './format';
import { OperationDetail } from './OperationsPanel';

const A = report.Action;
const c = (object: string, action: report.Action, result: report.Result, n: number) => ({ object, action, result, n });
// Go's counts of a run: the object column is Go's (report.Action.Object), memberships included.
const counts = [
  c('user', A.CreateUser, report.Result.Succeeded, 4),
  c('user', A.CreateUser, report.Result.Failed, 1),
  c('user', A.DeactivateUser, report.Result.Succeeded, 1),
  c('user', A.SuspendUser, report.Result.Succeeded, 2),
  c('group', A.CreateGroup, report.Result.Succeeded, 1),
  c('membership', A.AddMember, report.Result.Succeeded, 5),
  c('membership', A.AddMember, report.Result.Failed, 1),
  c('membership', A.RemoveMember, report.Result.Succeeded, 2),
];

// The screens' one tally (sumBy) and the memberships Go counted: the numbers each screen shows.
describe('counts on screen', () => {
  beforeEach(() => vi.resetAllMocks());

  it('sums by object, action and result', () => {
    for (const [want, n] of [
      [{}, 17],
      [{ object: 'membership' }, 8],
      [{ action: A.AddMember }, 6],
      [{ action: A.CreateUser, result: report.Result.Failed }, 1],
      [{ result: report.Result.Succeeded }, 15],
      [{ object: 'group', action: A.AddMember }, 0],
    ] as const) {
      expect(sumBy(counts, want), JSON.stringify(want)).toBe(n);
    }
    expect(sumBy(undefined, {})).toBe(0);
    expect(membershipActions(counts)).toEqual([A.AddMember, A.RemoveMember]);
    expect(membershipActions(counts.filter((x) => x.object !== 'membership'))).toEqual([]);
  });

  it("history sums a run's users, deactivations, suspensions, groups and memberships", async () => {
    vi.mocked(S.History).mockResolvedValue([{ directoryName: 'Contoso', run: { runId: 'r1', directoryId: 'd1', kind: 'apply', status: 'partial', started: '2026-11-27T01:00:00Z', durationMillis: 1000, counts, done: 17, failed: 2, notDone: 0 } } as never]);
    render(<History onReport={() => {}} />);
    expect(await screen.findByTestId('history-table')).toHaveTextContent('5 users, 1 deactivated, 2 suspended, 1 group, 8 memberships');
  });

  it('the report chart has a row an action with its total and the results that did not succeed', () => {
    render(<CountsChart counts={counts} />);
    const rows = screen.getAllByRole('row').map((r) => r.textContent);
    expect(rows).toEqual(['Create user5 · 1 failed', 'Deactivate user1', "Suspend user's access2", 'Create group1', 'Add to group6 · 1 failed', 'Remove from group2']);
  });

  const ann = { seq: 1, action: A.CreateUser, object: { type: 'user', name: 'Ann', email: 'ann@contoso.com', entraId: 'u1' }, result: report.Result.Succeeded } as report.Operation;

  it("a user's detail asks for the run's membership actions", async () => {
    vi.mocked(R.Operations).mockResolvedValue({ total: 1, offset: 0, rows: [{ seq: 2, action: A.AddMember, object: { type: 'user', name: 'Ann', entraId: 'u1' }, group: { type: 'group', name: 'Eng' }, chain: ['Eng', 'Backend'], result: report.Result.Succeeded }], index: [1] } as never);
    render(<OperationDetail handleId="h1" counts={counts} op={ann} onClose={() => {}} />);
    expect(await screen.findByTestId('membership-chains')).toHaveTextContent('Add to group: Eng — because of Eng › Backend');
    expect(R.Operations).toHaveBeenCalledWith('h1', expect.objectContaining({ actions: [A.AddMember, A.RemoveMember] }));
  });

  it('a run without memberships asks for none (an empty action list would match every operation)', async () => {
    render(<OperationDetail handleId="h1" counts={counts.filter((x) => x.object !== 'membership')} op={ann} onClose={() => {}} />);
    expect(await screen.findByText('No membership changes for this user.')).toBeInTheDocument();
    expect(R.Operations).not.toHaveBeenCalled();
  });
});
