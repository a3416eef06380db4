import { useState } from 'react';
import { PageLayout } from '../shell/PageLayout';
import { NavContext, type View } from '../features/common/nav';
import { AddDirectory } from '../features/directories/AddDirectory';
import { DirectoryList } from '../features/directories/DirectoryList';
import { DirectoryPage } from '../features/directories/DirectoryPage';
import { ReportView } from '../features/reports/ReportView';

/** Security > Identity providers: the list, the add flow, each directory and its reports. */
export function IdentityProvidersPage({ initial = { kind: 'list' } }: { initial?: View }) {
  const [view, setView] = useState<View>(initial);
  let body;
  switch (view.kind) {
    case 'add':
      body = <AddDirectory />;
      break;
    case 'directory':
      body = <DirectoryPage key={view.id} id={view.id} tab={view.tab} />;
      break;
    case 'report':
      body = (
        <PageLayout title="Sync report">
          <ReportView runId={view.runId} onBack={() => setView(view.back)} />
        </PageLayout>
      );
      break;
    default:
      body = <DirectoryList />;
  }
  return <NavContext.Provider value={setView}>{body}</NavContext.Provider>;
}
