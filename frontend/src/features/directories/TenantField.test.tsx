import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../../wailsjs/go/app/DirectoryService', () => ({ Update: vi.fn(), TestConnection: vi.fn(), DemoDefaults: vi.fn() }));
vi.mock('../../../wailsjs/go/app/SyncService', () => ({}));
vi.mock('../../../wailsjs/go/app/ReportService', () => ({}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({ EventsOn: vi.fn(() => () => {}) }));

import * as D from '../../../wailsjs/go/app/DirectoryService';
import { testDirectory } from '../../test/directory';
import { renderEditConnection } from '../../test/editConnection';
import { validateTenant } from './TenantField';

const dir = testDirectory({ signInTenant: 'contoso.onmicrosoft.com' });

describe('the Directory (tenant) ID a single-tenant registration needs (issue 13)', () => {
  beforeEach(() => vi.resetAllMocks());

  it('takes a tenant id or a domain and says what else is wrong in words', () => {
    expect(validateTenant('')).toBeUndefined();
    expect(validateTenant(' 8F1C2D3E-0A4B-4C5D-9E6F-7A8B9C0D1E2F ')).toBeUndefined();
    expect(validateTenant('contoso.onmicrosoft.com')).toBeUndefined();
    expect(validateTenant('organizations')).toMatch(/Leave the field empty/);
    expect(validateTenant('consumers')).toMatch(/personal Microsoft accounts/);
    for (const bad of ['contoso', '8f1c2d3e-0a4b', 'a b.com', 'x.com/evil']) expect(validateTenant(bad)).toMatch(/Directory \(tenant\) ID.*domain verified/);
  });

  it('is on the Connection tab with the stored value, refuses a typo on screen and saves the new tenant', async () => {
    renderEditConnection(dir);
    const f = screen.getByTestId('sign-in-tenant');
    expect(f).toHaveValue('contoso.onmicrosoft.com');
    expect(screen.getByTestId('sign-in-tenant-help')).toHaveTextContent('Accounts in this organizational directory only');
    await userEvent.clear(f);
    await userEvent.type(f, 'contoso');
    expect(screen.getByTestId('sign-in-tenant-error')).toHaveTextContent('or a domain verified in the tenant');
    await userEvent.clear(f);
    await userEvent.type(f, '8f1c2d3e-0a4b-4c5d-9e6f-7a8b9c0d1e2f');
    expect(screen.queryByTestId('sign-in-tenant-error')).toBeNull();
    await userEvent.click(screen.getByTestId('atlassian-next'));
    await waitFor(() => expect(D.Update).toHaveBeenCalledWith('d1', expect.objectContaining({ signInTenant: '8f1c2d3e-0a4b-4c5d-9e6f-7a8b9c0d1e2f' })));
  });
});
