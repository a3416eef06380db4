import EmptyState from '@atlaskit/empty-state';
import { PageLayout } from '../shell/PageLayout';

/**
 * Users and Groups keep admin.atlassian.com's frame, but IdP Sync does not mirror the whole
 * organization's directory: the page says where the synced objects are instead of pretending
 * to be an empty list.
 */
export function DirectoryPlaceholderPage({ kind }: { kind: 'Users' | 'Groups' }) {
  const noun = kind.toLowerCase();
  return (
    <PageLayout title={kind} description={`The ${noun} of your Atlassian organization.`}>
      <EmptyState
        header={`${kind} are listed in Atlassian administration`}
        description={`IdP Sync does not keep a copy of every ${noun.slice(0, -1)} in your organization. The ${noun} it synced are in each identity provider's overview and in its sync reports (Security › Sync history).`}
        headingLevel={2}
      />
    </PageLayout>
  );
}
