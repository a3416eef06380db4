import Breadcrumbs, { BreadcrumbsItem } from '@atlaskit/breadcrumbs';
import { useState } from 'react';
import { DirectoryService } from '../features/api';
import { useLoad } from '../features/common/loading';
import { PageLayout } from '../shell/PageLayout';
import { NavContext, type View } from '../features/common/nav';
import { AddDirectory } from '../features/directories/AddDirectory';
import { DirectoryList } from '../features/directories/DirectoryList';
import { DirectoryPage } from '../features/directories/DirectoryPage';
import { ReportView } from '../features/reports/ReportView';

/** The report's way back to its directory, named as the directory is (it said "Directory"). */
function DirectoryCrumb({ id, onClick }: { id: string; onClick: () => void }) {
  const { value: d, error } = useLoad(() => DirectoryService.Get(id), [id]);
  // Deleted meanwhile: still a way back.
  const name = d?.name ?? (error ? 'Identity provider directory' : '');
  return <BreadcrumbsItem text={name || '…'} onClick={onClick} testId="crumb-directory" />;
}

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
          <div className="crumbs">
            <Breadcrumbs>
              <BreadcrumbsItem text="Identity providers" onClick={() => setView({ kind: 'list' })} testId="crumb-idps" />
              {view.back.kind === 'directory' && <DirectoryCrumb id={view.back.id} onClick={() => setView(view.back)} />}
              <BreadcrumbsItem text="Sync report" />
            </Breadcrumbs>
          </div>
          <ReportView runId={view.runId} titled={false} />
        </PageLayout>
      );
      break;
    default:
      body = <DirectoryList />;
  }
  return <NavContext.Provider value={setView}>{body}</NavContext.Provider>;
}
