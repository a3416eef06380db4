import SectionMessage from '@atlaskit/section-message';
import type { ReactNode } from 'react';
import type { AppError } from '../api';

// What each stable error code means for the admin, and what to do when the backend did not say.
// The backend's own message and action always come first; this table fills the title and a
// fallback action, so that no screen ever shows a bare code or a Go error string.
const codeText: Record<string, { title: string; action: string }> = {
  internal: { title: 'Something went wrong in IdP Sync', action: 'Try again. If it happens again, report it with the steps that led to it.' },
  invalid_input: { title: 'Check what you entered', action: 'Correct the highlighted value and try again.' },
  not_found: { title: 'Not found', action: 'Refresh the page: it may have been removed.' },
  canceled: { title: 'Cancelled', action: 'Start again when you are ready.' },
  keychain_unavailable: { title: 'The keychain is not available', action: 'Unlock or install your system keychain, then try again. Secrets are never stored in plain text.' },
  keychain_timeout: { title: 'The keychain did not answer', action: 'Unlock your keychain (answer its prompt), then try again.' },
  secret_missing: { title: 'A key is missing from the keychain', action: 'Edit the directory and enter the API key again, or sign in again.' },
  auth_required: { title: 'Sign in to Microsoft again', action: 'Select Sign in with Microsoft.' },
  auth_canceled: { title: 'Sign-in cancelled', action: 'Sign in again when you are ready.' },
  auth_consent_required: { title: 'Admin consent is missing', action: 'Grant admin consent to the app registration in Entra, then sign in again.' },
  auth_scope_declined: { title: 'A permission was declined', action: 'Sign in again and accept every permission the app asks for.' },
  auth_failed: { title: 'Microsoft sign-in failed', action: 'Check the client id and cloud, then sign in again.' },
  tenant_mismatch: { title: 'Wrong tenant', action: 'Sign in with an account of the tenant this directory syncs.' },
  graph_permission: { title: 'Microsoft Graph refused the request', action: 'Grant the delegated permissions User.Read.All, GroupMember.Read.All and Domain.Read.All with admin consent.' },
  graph_throttled: { title: 'Microsoft Graph is throttling', action: 'Wait a few minutes and try again.' },
  graph_unavailable: { title: 'Microsoft Graph is not reachable', action: 'Check the network and try again.' },
  graph_bad_response: { title: 'Microsoft Graph sent an unexpected answer', action: 'Try again; if it persists, run a full sync.' },
  graph_delta_expired: { title: 'A full read is needed', action: 'Preview again: the next sync reads the whole directory.' },
  atlassian_unauthorized: { title: 'Atlassian refused the API key', action: 'Check the directory API key (it may have expired) and enter it again.' },
  atlassian_forbidden: { title: 'Atlassian refused the request', action: 'Check that the key belongs to this directory and organization.' },
  atlassian_not_found: { title: 'Atlassian could not find it', action: 'Check the SCIM directory URL and the organization id.' },
  atlassian_conflict: { title: 'Atlassian reported a conflict', action: 'Preview again to adopt the existing object.' },
  atlassian_throttled: { title: 'Atlassian is throttling', action: 'Wait a few minutes and sync again; nothing is lost.' },
  atlassian_unavailable: { title: 'Atlassian is not reachable', action: 'Check the network and try again.' },
  atlassian_bad_response: { title: 'Atlassian sent an unexpected answer', action: 'Try again later.' },
  atlassian_rejected: { title: 'Atlassian rejected a change', action: 'Read the message, correct the object in Entra, and sync again.' },
  insecure_url: { title: 'The URL is not allowed', action: 'Use the https URL Atlassian shows for the directory.' },
  sync_locked: { title: 'A sync is already running', action: 'Wait for it to finish, then try again.' },
  confirmation_required: { title: 'Confirm again', action: 'Preview again and confirm the tenant and domains.' },
  threshold_exceeded: { title: 'Too many deactivations', action: 'Review the deactivations in the preview; override the threshold for this sync only if they are expected.' },
  removal_threshold_exceeded: { title: 'Too many membership removals', action: 'Review the membership removals in the preview; override the removal threshold for this sync only if they are expected.' },
  read_shrank: { title: 'Entra returned far fewer objects than last time', action: "Check the app registration's permissions and the tenant; override this check for this sync only if the objects were really deleted." },
  plan_limit_exceeded: { title: "Over Atlassian's limits", action: 'Select fewer users or split large groups.' },
  conflict_unresolved: { title: 'A group conflict needs a decision', action: 'Take over or skip each conflicting group.' },
  suspend_unavailable: { title: 'Suspending access needs the organization API key', action: 'Add the organization id and key on the Connection tab, or choose Deactivate for users who leave scope in the sync settings.' },
  store_corrupt: { title: 'Local data cannot be read', action: 'Restore the IdP Sync data folder from a backup, or remove the directory and add it again.' },
  report_invalid: { title: 'This is not a readable report', action: 'Choose a report exported by IdP Sync (.json, .json.gz or .html).' },
  report_too_large: { title: 'The report is too large', action: 'Open a smaller report, or use idpsync report show in a terminal.' },
  report_unsupported_version: { title: 'Report from another version', action: 'Open it with the version of IdP Sync that wrote it.' },
};

export function codeTitle(code: string): string {
  return codeText[code]?.title ?? 'Something went wrong';
}

/** The action to take: the backend's own, else the code's. */
export function codeAction(code: string, action?: string): string {
  return action || codeText[code]?.action || 'Try again.';
}

/** An error as an Atlassian section message: title, message, action and code. Text only. */
export function ErrorMessage({ error, title, testId, children }: { error: AppError; title?: string; testId?: string; children?: ReactNode }) {
  return (
    <SectionMessage appearance="error" title={title ?? codeTitle(error.code)} testId={testId ?? 'error-message'}>
      <p>{error.message}</p>
      <p>{codeAction(error.code, error.action)}</p>
      <p className="muted">Error code: {error.code}</p>
      {children}
    </SectionMessage>
  );
}
