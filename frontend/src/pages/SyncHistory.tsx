import Breadcrumbs, { BreadcrumbsItem } from '@atlaskit/breadcrumbs';
import { useState } from 'react';
import { History } from '../features/sync/History';
import { ReportView } from '../features/reports/ReportView';
import { PageLayout } from '../shell/PageLayout';

export function SyncHistoryPage() {
  const [runId, setRunId] = useState<string | null>(null);
  return (
    <PageLayout
      title={runId ? 'Sync report' : 'Sync history'}
      description={runId ? undefined : 'Every preview, dry run and sync, with its report. Reports can be exported and reviewed offline.'}
    >
      {runId ? (
        <>
          <div className="crumbs">
            <Breadcrumbs>
              <BreadcrumbsItem text="Sync history" onClick={() => setRunId(null)} testId="crumb-history" />
              <BreadcrumbsItem text="Sync report" />
            </Breadcrumbs>
          </div>
          <ReportView runId={runId} titled={false} />
        </>
      ) : (
        <History showDirectory onReport={setRunId} />
      )}
    </PageLayout>
  );
}
