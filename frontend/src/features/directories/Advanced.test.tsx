import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../../wailsjs/go/app/DirectoryService', () => ({ Update: vi.fn(), TestConnection: vi.fn(), DemoDefaults: vi.fn() }));
vi.mock('../../../wailsjs/go/app/SyncService', () => ({}));
vi.mock('../../../wailsjs/go/app/ReportService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: vi.fn(() => () => {}) }));

import * as D from '../../../wailsjs/go/app/DirectoryService';
import { testDirectory } from '../../test/directory';
import { renderEditConnection } from '../../test/editConnection';
import { LastAlert } from './Advanced';

const dir = testDirectory({ graphUrl: 'https://graph.proxy.example/v1.0', authorityUrl: 'https://login.proxy.example' });

describe('Advanced endpoints and the last alert (issue 16 points 6, 7)', () => {
  beforeEach(() => vi.resetAllMocks());

  it('keeps the stored endpoints when the connection is saved, and saves a changed one', async () => {
    renderEditConnection(dir);
    expect(screen.getByTestId('graph-url')).toHaveValue('https://graph.proxy.example/v1.0');
    await userEvent.clear(screen.getByTestId('org-url'));
    await userEvent.type(screen.getByTestId('org-url'), 'https://org.proxy.example');
    await userEvent.click(screen.getByTestId('atlassian-next'));
    await waitFor(() =>
      expect(D.Update).toHaveBeenCalledWith(
        'd1',
        expect.objectContaining({ graphUrl: 'https://graph.proxy.example/v1.0', authorityUrl: 'https://login.proxy.example', orgUrl: 'https://org.proxy.example' }),
      ),
    );
  });

  it('shows the last alert with its code and where it was sent', () => {
    render(
      <LastAlert
        last={{ directory: 'Contoso', directoryId: 'd1', status: 'blocked', code: 'confirmation_required', message: 'the domains changed', action: 'Confirm them again.', at: '2026-12-03T00:00:00Z', delivered: ['desktop'], errors: ['webhook: the webhook at hooks.example answered 500'] }}
      />,
    );
    const m = screen.getByTestId('last-alert');
    expect(m).toHaveTextContent('the scheduled sync was stopped before writing');
    expect(m).toHaveTextContent('the domains changed');
    expect(m).toHaveTextContent('Error code: confirmation_required');
    expect(m).toHaveTextContent('Sent to: desktop (not delivered: webhook: the webhook at hooks.example answered 500)');
  });

  it('shows nothing without an alert', () => {
    const { container } = render(<LastAlert />);
    expect(container).toBeEmptyDOMElement();
  });
});
