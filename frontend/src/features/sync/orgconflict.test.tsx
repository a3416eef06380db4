import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 30000 });

vi.mock('../../../wailsjs/go/app/SyncService', () => ({ DecideConflict: vi.fn() }));

import * as S from '../../../wailsjs/go/app/SyncService';
import type { backend } from '../api';
import { Conflicts } from './Conflicts';
import { PlanNotices } from './PlanNotices';

const base = {
  planId: 'p1',
  conflicts: [
    {
      groupEntraId: 'g1',
      displayName: 'jira-users-<site>',
      atlassianId: 'o1',
      decision: '',
      scope: 'organization',
      defaultAccess: true,
      hint: 'This is a default access group of an Atlassian app; remove its default status, then retry, or skip it.',
      wouldAdd: [],
      wouldRemove: [],
      addCount: 0,
      removeCount: 0,
    },
  ],
  notices: ['Conflicts with groups outside the SCIM directory cannot be detected: no organization API key is set.'],
  renames: [{ entraId: 'g2', oldName: 'Sales', newName: 'Sales EMEA', oldScimId: 's2', stillGrants: 42, deleted: false }],
} as unknown as backend.PlanSummary;

describe('conflicts outside the SCIM directory', () => {
  it('shows the hint and the default access status, offers skip and retry but no take over', async () => {
    const onPlan = vi.fn();
    vi.mocked(S.DecideConflict).mockResolvedValue(base);
    render(<Conflicts plan={base} onPlan={onPlan} />);
    const card = await screen.findByTestId('conflict-jira-users-<site>');
    expect(card).toHaveTextContent('Default access group');
    expect(card).toHaveTextContent('Outside the SCIM directory');
    expect(screen.getByTestId('conflict-hint')).toHaveTextContent('remove its default status');
    expect(screen.queryByTestId('conflict-take-over')).toBeNull();
    await userEvent.click(screen.getByTestId('conflict-retry'));
    await waitFor(() => expect(S.DecideConflict).toHaveBeenCalledWith('p1', 'g1', 'retry'));
    expect(onPlan).toHaveBeenCalled();
  });

  it('says plainly what the plan cannot see and what a rename leaves behind', async () => {
    render(<PlanNotices plan={base} />);
    expect(await screen.findByTestId('plan-notice-0')).toHaveTextContent('cannot be detected');
    expect(screen.getByTestId('rename-Sales EMEA')).toHaveTextContent('Sales → Sales EMEA: the old group still grants access to 42 people');
  });
});
