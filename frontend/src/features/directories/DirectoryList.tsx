import Button from '@atlaskit/button/new';
import DynamicTable from '@atlaskit/dynamic-table';
import EmptyState from '@atlaskit/empty-state';
import { DirectoryIllustration } from '../../shell/Illustration';
import { PageLayout } from '../../shell/PageLayout';
import { DirectoryService } from '../api';
import { ErrorMessage } from '../common/errors';
import { Loading, useLoad } from '../common/loading';
import { formatDate, plural } from '../common/format';
import { useNav } from '../common/nav';
import { DirectoryStatus } from '../common/status';

const head = {
  cells: [
    { key: 'name', content: 'Directory name' },
    { key: 'provider', content: 'Identity provider' },
    { key: 'provisioning', content: 'User provisioning' },
    { key: 'status', content: 'Status' },
    { key: 'last', content: 'Last sync' },
    { key: 'synced', content: 'Users and groups synced' },
  ],
};

/** Security > Identity providers: the organization's directories, or the empty state. */
export function DirectoryList() {
  const nav = useNav();
  const { value: dirs, error } = useLoad(async () => (await DirectoryService.List()) ?? [], []);

  const add = (
    <Button appearance="primary" onClick={() => nav({ kind: 'add' })} testId="add-idp">
      Add identity provider
    </Button>
  );
  let body;
  if (error) body = <ErrorMessage error={error} title="The directories could not be listed" />;
  else if (dirs === null)
    body = <Loading label="Loading directories" />;
  else if (dirs.length === 0)
    body = (
      <EmptyState
        testId="idp-empty"
        header="Add an identity provider"
        description="Sync users and groups from your identity provider's directory. Until you add one, your organization's users are managed in Atlassian only."
        headingLevel={2}
        renderImage={() => <DirectoryIllustration />}
        primaryAction={add}
      />
    );
  else
    body = (
      <div data-testid="idp-table">
      <DynamicTable
                head={head}
        rows={dirs.map((d) => ({
          key: d.id,
          testId: `idp-row-${d.id}`,
          cells: [
            {
              key: 'name',
              content: (
                <Button appearance="subtle" onClick={() => nav({ kind: 'directory', id: d.id })} testId="idp-open">
                  {d.name}
                </Button>
              ),
            },
            { key: 'provider', content: 'Microsoft Azure AD' },
            { key: 'provisioning', content: 'Automatic' },
            { key: 'status', content: <DirectoryStatus status={d.status} /> },
            { key: 'last', content: d.lastRun ? formatDate(d.lastRun.started) : 'Never' },
            { key: 'synced', content: `${plural(d.syncedUsers, 'user')}, ${plural(d.syncedGroups, 'group')}` },
          ],
        }))}
      />
      </div>
    );
  return (
    <PageLayout
      title="Identity providers"
      description="Connect Microsoft Entra ID to your Atlassian organization to sync its users and groups, nested groups included. You see every change before it is made."
      actions={dirs && dirs.length > 0 ? add : undefined}
    >
      {body}
    </PageLayout>
  );
}
