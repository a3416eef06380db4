import Breadcrumbs, { BreadcrumbsItem } from '@atlaskit/breadcrumbs';
import { useEffect, useState } from 'react';
import { DirectoryService } from '../features/api';
import { PageLayout } from '../shell/PageLayout';
import { NavContext, type View } from '../features/common/nav';
import { AddDirectory } from '../features/directories/AddDirectory';
import { DirectoryList } from '../features/directories/DirectoryList';
import { DirectoryPage } from '../features/directories/DirectoryPage';
import { ReportView } from '../features/reports/ReportView';

/** The report's way back to its directory, named as the directory is (it said "Directory"). */
function DirectoryCrumb({ id, onClick }: { id: string; onClick: () => void }) {
  const [name, setName] = useState('');
  useEffect(() => {
    let live = true;
    DirectoryService.Get(id).then(
      (d) => live && setName(d.name),
      () => live && setName('Identity provider directory'), // deleted meanwhile: still a way back
    );
    return () => {
      live = false;
    };
  }, [id]);
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
