import Button from '@atlaskit/button/new';
import EmptyState from '@atlaskit/empty-state';
import { useState } from 'react';
import { useFlags } from '../lib/flags';
import { ReportService, toAppError, type app } from '../features/api';
import { ReportView } from '../features/reports/ReportView';
import { PageLayout } from '../shell/PageLayout';

/** Open a report file from disk (JSON, gzip, or an HTML report made by the app) to review it. */
export function ReportsPage() {
  const flags = useFlags();
  const [handle, setHandle] = useState<app.ReportHandle | null>(null);
  const open = async () => {
    try {
      const h = await ReportService.OpenFile();
      if (h.id) setHandle(h);
    } catch (e) {
      flags.showError('The report could not be opened', toAppError(e));
    }
  };
  const action = (
    <Button appearance="primary" onClick={() => void open()} testId="open-report-file">
      Open a report file
    </Button>
  );
  return (
    <PageLayout
      title="Sync reports"
      description="Review a sync report exported from IdP Sync, here or on another machine: .json, .json.gz or the self-contained .html file."
      actions={handle ? action : undefined}
    >
      {handle ? (
        <ReportView key={handle.id} handle={handle} />
      ) : (
        <EmptyState header="Open a sync report" description="Reports of the runs in Sync history open from there. Here, open a file someone shared with you." headingLevel={2} primaryAction={action} />
      )}
    </PageLayout>
  );
}
