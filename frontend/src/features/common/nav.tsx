import { createContext, useContext } from 'react';

/** Where the Identity providers page is: its list, the add flow, a directory's tab, or a report. */
export type View =
  | { kind: 'list' }
  | { kind: 'add' }
  | { kind: 'directory'; id: string; tab?: DirectoryTab }
  | { kind: 'report'; runId: string; back: View };

export type DirectoryTab = 'overview' | 'settings' | 'preview' | 'history' | 'troubleshooting' | 'connection';

export const NavContext = createContext<(v: View) => void>(() => {});

export function useNav() {
  return useContext(NavContext);
}
