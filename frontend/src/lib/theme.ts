import { setGlobalTheme } from '@atlaskit/tokens/set-global-theme';

export type ThemeMode = 'auto' | 'light' | 'dark';

const key = 'idpsync.theme';
export const themeModes: ThemeMode[] = ['auto', 'light', 'dark'];

export function loadThemeMode(): ThemeMode {
  try {
    const v = window.localStorage.getItem(key);
    return themeModes.includes(v as ThemeMode) ? (v as ThemeMode) : 'auto';
  } catch {
    return 'auto';
  }
}

/** Applies the Atlassian token theme (auto follows the OS) and remembers the choice. */
export async function applyThemeMode(mode: ThemeMode): Promise<void> {
  try {
    window.localStorage.setItem(key, mode);
  } catch {
    // Storage can be unavailable (private mode); the theme still applies for this session.
  }
  await setGlobalTheme({ colorMode: mode, light: 'light', dark: 'dark', spacing: 'spacing', typography: 'typography' });
}
