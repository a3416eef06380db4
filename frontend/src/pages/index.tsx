import '../features/features.css';
import type { ReactNode } from 'react';
import { IdentityProvidersPage } from './IdentityProviders';
import { ReportsPage } from './Reports';
import { SyncHistoryPage } from './SyncHistory';

/**
 * One entry per screen; the navigation and the router are built from this list. There is no
 * Users or Groups page: IdP Sync keeps no copy of the organization's directory, and a page that
 * only said so was a dead end. What a directory synced is in its overview and its reports.
 */
export interface PageDef {
  path: string;
  section: 'Security';
  title: string;
  render: () => ReactNode;
}

export const pages: PageDef[] = [
  { path: 'identity-providers', section: 'Security', title: 'Identity providers', render: () => <IdentityProvidersPage /> },
  { path: 'sync-history', section: 'Security', title: 'Sync history', render: () => <SyncHistoryPage /> },
  { path: 'reports', section: 'Security', title: 'Sync reports', render: () => <ReportsPage /> },
];

export const sections: PageDef['section'][] = ['Security'];

export const defaultPath = 'identity-providers';
