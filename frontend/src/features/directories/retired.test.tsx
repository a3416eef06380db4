import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 30000 });

vi.mock('../../../wailsjs/go/app/DirectoryService', () => ({ RetiredGroups: vi.fn(), FinishRename: vi.fn() }));

import * as D from '../../../wailsjs/go/app/DirectoryService';
import { RetiredGroups } from './RetiredGroups';

describe('retired groups', () => {
  it('lists a retired group with its members and finishes the rename only once its name is typed', async () => {
    vi.mocked(D.RetiredGroups).mockResolvedValue([{ scimId: 's1', name: 'Sales', entraId: 'e1', currentGroup: 'Sales EMEA', members: 42 }]);
    vi.mocked(D.FinishRename).mockResolvedValue([]);
    render(<RetiredGroups directoryId="d1" />);
    await userEvent.click(await screen.findByTestId('retired-check'));
    expect(await screen.findByTestId('retired-Sales')).toHaveTextContent('Sales (renamed to Sales EMEA) still grants its access to 42 people');
    await userEvent.click(screen.getByTestId('retired-finish'));
    const confirm = screen.getByTestId('retired-finish-confirm');
    expect(confirm).toBeDisabled();
    await userEvent.type(screen.getByTestId('retired-confirm-name'), 'Sales');
    expect(confirm).toBeEnabled();
    await userEvent.click(confirm);
    await waitFor(() => expect(D.FinishRename).toHaveBeenCalledWith('d1', 's1', 'Sales'));
    expect(await screen.findByTestId('retired-none')).toBeInTheDocument();
  });
});
