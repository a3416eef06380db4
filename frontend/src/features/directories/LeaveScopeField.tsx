import { RadioGroup } from '@atlaskit/radio';
import SectionMessage from '@atlaskit/section-message';

/** The words of the "When a user leaves scope" choices, shared with the report screens. */
export const leaveScopeWords: Record<string, string> = {
  deactivate: 'Deactivate the account',
  suspend: 'Suspend their access',
};

/**
 * "When a user leaves scope": deactivate the account (the default, as Atlassian's own sync does),
 * or suspend the user's access in the directory through Atlassian's Organizations API, which
 * keeps their roles and group memberships and restores them when the user returns. Suspending
 * needs the organization id and key: without them the choice is disabled and says why.
 */
export function LeaveScopeField({ value, hasOrgKey, onChange }: { value: string; hasOrgKey: boolean; onChange: (v: string) => void }) {
  const mode = value === 'suspend' ? 'suspend' : 'deactivate';
  return (
    <fieldset className="fieldset" data-testid="leave-scope">
      <legend>When a user leaves scope</legend>
      <RadioGroup
        name="leaveScope"
        value={mode}
        onChange={(e) => onChange(e.currentTarget.value)}
        options={[
          { name: 'leaveScope', value: 'deactivate', label: `${leaveScopeWords.deactivate} (default)`, testId: 'leave-deactivate' },
          { name: 'leaveScope', value: 'suspend', label: leaveScopeWords.suspend, testId: 'leave-suspend', isDisabled: !hasOrgKey && mode !== 'suspend' },
        ]}
      />
      <p className="muted" data-testid="leave-scope-help">
        {mode === 'suspend'
          ? 'A user who leaves scope keeps their Atlassian account, roles and group memberships, but cannot use any app and is not billed. When they return to scope, their access is restored as it was. Suspensions count toward the deactivation threshold.'
          : 'A user who leaves scope, is deleted or is disabled in Entra is deactivated in Atlassian. If they return, the account is reactivated.'}
      </p>
      {!hasOrgKey && (
        <SectionMessage appearance={mode === 'suspend' ? 'error' : 'information'} title="Suspending access needs the organization API key" testId="leave-scope-no-org">
          <p>
            Atlassian suspends and restores access through its Organizations API, which IdP Sync can call only with the organization id and
            API key. Add them on the Connection tab to choose this.
          </p>
        </SectionMessage>
      )}
    </fieldset>
  );
}
