import { ButtonItem, NavigationContent, NavigationHeader, Header, Section, SideNavigation } from '@atlaskit/side-navigation';
import { pages, sections } from '../pages';

export function SideNav({ current, onNavigate }: { current: string; onNavigate: (path: string) => void }) {
  return (
    <SideNavigation label="Administration" testId="side-nav">
      <NavigationHeader>
        <Header description="Atlassian organization">Administration</Header>
      </NavigationHeader>
      <NavigationContent>
        {sections.map((section) => (
          <Section key={section} title={section} hasSeparator={section !== sections[0]}>
            {pages
              .filter((p) => p.section === section)
              .map((p) => (
                <ButtonItem
                  key={p.path}
                  isSelected={p.path === current}
                  onClick={() => onNavigate(p.path)}
                  testId={`nav-${p.path}`}
                >
                  {p.title}
                </ButtonItem>
              ))}
          </Section>
        ))}
      </NavigationContent>
    </SideNavigation>
  );
}
