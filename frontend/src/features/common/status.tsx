import Lozenge from '@atlaskit/lozenge';
import { backend, report } from '../api';

// The directory's status as the backend decides it (internal/backend/status.go): one source of
// truth for the overview, the list and the flags. Atlassian's wording where it has one.
const dirStatus: Record<backend.DirStatus, { text: string; appearance: 'success' | 'inprogress' | 'default' | 'removed' | 'moved' }> = {
  [backend.DirStatus.Enabled]: { text: 'Sync enabled', appearance: 'success' },
  [backend.DirStatus.Disabled]: { text: 'Sync disabled', appearance: 'default' },
  [backend.DirStatus.Syncing]: { text: 'Sync in progress', appearance: 'inprogress' },
  [backend.DirStatus.Previewing]: { text: 'Previewing changes', appearance: 'inprogress' },
  [backend.DirStatus.Blocked]: { text: 'Needs attention', appearance: 'removed' },
  [backend.DirStatus.Cancelled]: { text: 'Last sync cancelled', appearance: 'moved' },
  [backend.DirStatus.NotSignedIn]: { text: 'Not signed in', appearance: 'removed' },
  [backend.DirStatus.KeyExpired]: { text: 'API key expired', appearance: 'removed' },
};

/** The status in words (for text that is not a lozenge). */
export function directoryStatusText(status: string): string {
  return (dirStatus[status as backend.DirStatus] ?? dirStatus[backend.DirStatus.Disabled]).text;
}

export function DirectoryStatus({ status }: { status: string }) {
  const s = dirStatus[status as backend.DirStatus] ?? dirStatus[backend.DirStatus.Disabled];
  return (
    <Lozenge appearance={s.appearance} testId="directory-status">
      {s.text}
    </Lozenge>
  );
}

const runStatus: Record<report.Status, { text: string; appearance: 'success' | 'inprogress' | 'default' | 'removed' | 'moved' | 'new' }> = {
  [report.Status.Succeeded]: { text: 'Succeeded', appearance: 'success' },
  [report.Status.Partial]: { text: 'Partly failed', appearance: 'moved' },
  [report.Status.Failed]: { text: 'Failed', appearance: 'removed' },
  [report.Status.Canceled]: { text: 'Cancelled', appearance: 'default' },
  [report.Status.Blocked]: { text: 'Blocked', appearance: 'removed' },
  [report.Status.Planned]: { text: 'Preview', appearance: 'new' },
  [report.Status.Running]: { text: 'Running', appearance: 'inprogress' },
};

const runKind: Record<report.Kind, string> = { [report.Kind.Preview]: 'Preview', [report.Kind.Apply]: 'Sync' };

/** What a run was and how it ended, in words, for text that is not a lozenge: "Sync, succeeded",
 * "Preview" (a preview's "planned" is what a preview is), "Preview, failed". */
/** What a run was, in words: "Sync" or "Preview". */
export function runKindText(kind: string): string {
  return runKind[kind as report.Kind] ?? kind;
}

export function runText(kind: string, status: string): string {
  const what = runKindText(kind);
  if (status === report.Status.Planned) return what;
  return `${what}, ${(runStatus[status as report.Status]?.text ?? status).toLowerCase()}`;
}

export function RunStatus({ status }: { status: string }) {
  const s = runStatus[status as report.Status] ?? { text: status, appearance: 'default' as const };
  return <Lozenge appearance={s.appearance}>{s.text}</Lozenge>;
}

const claim: Record<string, { text: string; appearance: 'success' | 'moved' | 'default' | 'removed' }> = {
  verified: { text: 'Verified', appearance: 'success' },
  unverified: { text: 'Unverified', appearance: 'moved' },
  superseded: { text: 'Superseded', appearance: 'removed' },
  missing_token: { text: 'Missing token', appearance: 'removed' },
  deleted: { text: 'Deleted', appearance: 'removed' },
  not_claimed: { text: 'Not claimed', appearance: 'default' },
  unknown: { text: 'Unknown (no organization key)', appearance: 'default' },
};

export function ClaimStatus({ status }: { status: string }) {
  const s = claim[status] ?? { text: status, appearance: 'default' as const };
  return <Lozenge appearance={s.appearance}>{s.text}</Lozenge>;
}
