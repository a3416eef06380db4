import DynamicTable from '@atlaskit/dynamic-table';
import EmptyState from '@atlaskit/empty-state';
import { PageLayout } from '../shell/PageLayout';

const head = {
  cells: [
    { key: 'started', content: 'Started' },
    { key: 'directory', content: 'Directory' },
    { key: 'kind', content: 'Type' },
    { key: 'result', content: 'Result' },
    { key: 'changes', content: 'Changes' },
  ],
};

export function SyncHistoryPage() {
  return (
    <PageLayout
      title="Sync history"
      description="Every preview, dry run and sync, with its report. Reports can be exported and reviewed offline."
    >
      <DynamicTable
        head={head}
        rows={[]}
        testId="sync-history"
        emptyView={
          <EmptyState
            header="No sync runs yet"
            description="Runs appear here once an identity provider is connected and its first preview or sync has run."
            headingLevel={2}
          />
        }
      />
    </PageLayout>
  );
}
