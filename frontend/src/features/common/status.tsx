import Lozenge from '@atlaskit/lozenge';

// The directory's status as the backend decides it (internal/backend/status.go): one source of
// truth for the overview, the list and the flags. Atlassian's wording where it has one.
const dirStatus: Record<string, { text: string; appearance: 'success' | 'inprogress' | 'default' | 'removed' | 'moved' }> = {
  enabled: { text: 'Sync enabled', appearance: 'success' },
  disabled: { text: 'Sync disabled', appearance: 'default' },
  syncing: { text: 'Sync in progress', appearance: 'inprogress' },
  previewing: { text: 'Previewing changes', appearance: 'inprogress' },
  blocked: { text: 'Needs attention', appearance: 'removed' },
  cancelled: { text: 'Last sync cancelled', appearance: 'moved' },
  not_signed_in: { text: 'Not signed in', appearance: 'removed' },
  key_expired: { text: 'API key expired', appearance: 'removed' },
};

/** The status in words (for text that is not a lozenge). */
export function directoryStatusText(status: string): string {
  return (dirStatus[status] ?? dirStatus.disabled).text;
}

export function DirectoryStatus({ status }: { status: string }) {
  const s = dirStatus[status] ?? dirStatus.disabled;
  return (
    <Lozenge appearance={s.appearance} testId="directory-status">
      {s.text}
    </Lozenge>
  );
}

const runStatus: Record<string, { text: string; appearance: 'success' | 'inprogress' | 'default' | 'removed' | 'moved' | 'new' }> = {
  succeeded: { text: 'Succeeded', appearance: 'success' },
  partial: { text: 'Partly failed', appearance: 'moved' },
  failed: { text: 'Failed', appearance: 'removed' },
  canceled: { text: 'Cancelled', appearance: 'default' },
  blocked: { text: 'Blocked', appearance: 'removed' },
  planned: { text: 'Preview', appearance: 'new' },
  running: { text: 'Running', appearance: 'inprogress' },
};

export function RunStatus({ status }: { status: string }) {
  const s = runStatus[status] ?? { text: status, appearance: 'default' as const };
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
