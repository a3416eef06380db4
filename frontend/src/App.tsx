import { ModalTransition } from '@atlaskit/modal-dialog';
import { useCallback, useEffect, useState } from 'react';
import { AppService, toAppError, type app } from './features/api';
import { StatusFlags } from './features/common/StatusFlags';
import { FlagsProvider, useFlags } from './lib/flags';
import { applyThemeMode, loadThemeMode, themeModes, type ThemeMode } from './lib/theme';
import { defaultPath, pages } from './pages';
import { AboutDialog } from './shell/AboutDialog';
import { HelpDialog } from './shell/HelpDialog';
import { SideNav } from './shell/SideNav';
import { TopBar } from './shell/TopBar';

// The current page lives in the URL hash, so a reload (and a test) can open any page directly.
function pathFromHash(): string {
  const p = window.location.hash.replace(/^#\/?/, '');
  return pages.some((x) => x.path === p) ? p : defaultPath;
}

function Shell() {
  const flags = useFlags();
  const [path, setPath] = useState(pathFromHash);
  const [theme, setTheme] = useState<ThemeMode>(loadThemeMode);
  const [about, setAbout] = useState<app.AboutInfo | null>(null);
  const [aboutOpen, setAboutOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  // Bumped by every click in the side navigation: the page starts over at its first screen, so
  // "Identity providers" returns to the list from a directory or a report.
  const [visit, setVisit] = useState(0);

  useEffect(() => {
    const onHash = () => setPath(pathFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    let live = true;
    AppService.About().then(
      (a) => live && setAbout(a),
      (e) => live && flags.showError('Could not read the app details', toAppError(e)),
    );
    return () => {
      live = false;
    };
  }, [flags]);

  const navigate = useCallback((p: string) => {
    window.location.hash = '/' + p;
    setPath(p);
    setVisit((v) => v + 1);
  }, []);

  const cycleTheme = () => {
    const next = themeModes[(themeModes.indexOf(theme) + 1) % themeModes.length];
    setTheme(next);
    void applyThemeMode(next);
  };

  const page = pages.find((p) => p.path === path) ?? pages[0];
  return (
    <div className="shell">
      <TopBar demo={about?.demo ?? false} theme={theme} onCycleTheme={cycleTheme} onHelp={() => setHelpOpen(true)} />
      <nav className="sidenav">
        <SideNav current={page.path} onNavigate={navigate} />
      </nav>
      <main className="main" data-testid={`page-${page.path}`}>
        <div key={`${page.path}:${visit}`} className="page-frame">
          {page.render()}
        </div>
      </main>
      <ModalTransition>
        {helpOpen && (
          <HelpDialog
            path={page.path}
            onClose={() => setHelpOpen(false)}
            onAbout={() => {
              setHelpOpen(false);
              setAboutOpen(true);
            }}
          />
        )}
      </ModalTransition>
      <ModalTransition>{aboutOpen && <AboutDialog about={about} onClose={() => setAboutOpen(false)} />}</ModalTransition>
    </div>
  );
}

export function App() {
  return (
    <FlagsProvider>
      <Shell />
      <StatusFlags />
    </FlagsProvider>
  );
}
