import Lozenge from '@atlaskit/lozenge';

// Atlassian's wording for the directory status panel: Sync enabled / in progress / disabled.
const dirStatus: Record<string, { text: string; appearance: 'success' | 'inprogress' | 'default' | 'removed' }> = {
  enabled: { text: 'Sync enabled', appearance: 'success' },
  running: { text: 'Sync in progress', appearance: 'inprogress' },
  disabled: { text: 'Sync disabled', appearance: 'default' },
  needs_attention: { text: 'Needs attention', appearance: 'removed' },
};

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
