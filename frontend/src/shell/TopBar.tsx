import Button, { IconButton } from '@atlaskit/button/new';
import QuestionCircleIcon from '@atlaskit/icon/core/question-circle';
import ThemeIcon from '@atlaskit/icon/core/theme';
import Lozenge from '@atlaskit/lozenge';
import type { ThemeMode } from '../lib/theme';

const themeLabel: Record<ThemeMode, string> = { auto: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };

export function TopBar({
  demo,
  theme,
  onCycleTheme,
  onHelp,
}: {
  demo: boolean;
  theme: ThemeMode;
  onCycleTheme: () => void;
  onHelp: () => void;
}) {
  return (
    <header className="topbar" data-testid="top-bar">
      <div className="topbar-brand">
        <img src="/favicon.svg" alt="" width={24} height={24} />
        <span className="topbar-product">IdP Sync</span>
        <span className="topbar-divider" aria-hidden="true" />
        <span className="topbar-context">Administration</span>
        {demo && <Lozenge appearance="moved">Demo tenant</Lozenge>}
      </div>
      <div className="topbar-actions">
        <Button appearance="subtle" iconBefore={ThemeIcon} onClick={onCycleTheme} testId="theme-toggle">
          {themeLabel[theme]}
        </Button>
        <IconButton appearance="subtle" icon={QuestionCircleIcon} label="Help for this screen" onClick={onHelp} testId="help-open" />
      </div>
    </header>
  );
}
