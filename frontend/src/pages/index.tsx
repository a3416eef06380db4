import '../features/features.css';
import type { ReactNode } from 'react';
import { DirectoryPlaceholderPage } from './DirectoryPlaceholder';
import { IdentityProvidersPage } from './IdentityProviders';
import { ReportsPage } from './Reports';
import { SyncHistoryPage } from './SyncHistory';

/** One entry per screen; the navigation and the router are built from this list. */
export interface PageDef {
  path: string;
  section: 'Directory' | 'Security';
  title: string;
  render: () => ReactNode;
}

export const pages: PageDef[] = [
  { path: 'users', section: 'Directory', title: 'Users', render: () => <DirectoryPlaceholderPage kind="Users" /> },
  { path: 'groups', section: 'Directory', title: 'Groups', render: () => <DirectoryPlaceholderPage kind="Groups" /> },
  { path: 'identity-providers', section: 'Security', title: 'Identity providers', render: () => <IdentityProvidersPage /> },
  { path: 'sync-history', section: 'Security', title: 'Sync history', render: () => <SyncHistoryPage /> },
  { path: 'reports', section: 'Security', title: 'Sync reports', render: () => <ReportsPage /> },
];

export const sections: PageDef['section'][] = ['Directory', 'Security'];

export const defaultPath = 'identity-providers';
