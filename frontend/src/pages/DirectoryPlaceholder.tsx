import EmptyState from '@atlaskit/empty-state';
import { PageLayout } from '../shell/PageLayout';

/** Users and Groups stay empty until a directory has synced; they say so rather than pretend. */
export function DirectoryPlaceholderPage({ kind }: { kind: 'Users' | 'Groups' }) {
  const noun = kind.toLowerCase();
  return (
    <PageLayout title={kind} description={`The ${noun} IdP Sync manages in your Atlassian organization.`}>
      <EmptyState
        header={`No synced ${noun} yet`}
        description={`Synced ${noun} are listed here after the first sync from an identity provider.`}
        headingLevel={2}
      />
    </PageLayout>
  );
}
