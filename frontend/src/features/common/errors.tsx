import SectionMessage from '@atlaskit/section-message';
import type { ReactNode } from 'react';
import { apperr, type AppError } from '../api';

// What each stable error code means for the admin, and what to do when the backend did not say.
// The backend's own message and action always come first; this table fills the title and a
// fallback action, so that no screen ever shows a bare code or a Go error string. Typed over
// every Go code (apperr.Codes, bound with EnumBind): a code added in Go without its words here
// fails the type check.
const codeText: Record<apperr.Code, { title: string; action: string }> = {
  [apperr.Code.Internal]: { title: 'Something went wrong in IdP Sync', action: 'Try again. If it happens again, report it with the steps that led to it.' },
  [apperr.Code.DirectoryDuplicate]: { title: 'That name is taken', action: 'Choose a name no other directory uses.' },
  [apperr.Code.InvalidInput]: { title: 'Check what you entered', action: 'Correct the highlighted value and try again.' },
  [apperr.Code.NotFound]: { title: 'Not found', action: 'Refresh the page: it may have been removed.' },
  [apperr.Code.Canceled]: { title: 'Cancelled', action: 'Start again when you are ready.' },
  [apperr.Code.KeychainUnavailable]: { title: 'The keychain is not available', action: 'Unlock or install your system keychain, then try again. Secrets are never stored in plain text.' },
  [apperr.Code.KeychainTimeout]: { title: 'The keychain did not answer', action: 'Unlock your keychain (answer its prompt), then try again.' },
  [apperr.Code.SecretMissing]: { title: 'A key is missing from the keychain', action: 'Edit the directory and enter the API key again, or sign in again.' },
  [apperr.Code.AuthRequired]: { title: 'Sign in to Microsoft again', action: 'Select Sign in with Microsoft.' },
  [apperr.Code.AuthCanceled]: { title: 'Sign-in cancelled', action: 'Sign in again when you are ready.' },
  [apperr.Code.AuthConsentRequired]: { title: 'Admin consent is missing', action: 'Grant admin consent to the app registration in Entra, then sign in again.' },
  [apperr.Code.AuthScopeDeclined]: { title: 'A permission was declined', action: 'Sign in again and accept every permission the app asks for.' },
  [apperr.Code.AuthFailed]: { title: 'Microsoft sign-in failed', action: 'Check the client id and cloud, then sign in again.' },
  [apperr.Code.TenantMismatch]: { title: 'Wrong tenant', action: 'Sign in with an account of the tenant this directory syncs.' },
  [apperr.Code.GraphPermission]: { title: 'Microsoft Graph refused the request', action: 'Grant the delegated permissions User.Read.All, GroupMember.Read.All and Domain.Read.All with admin consent.' },
  [apperr.Code.GraphThrottled]: { title: 'Microsoft Graph is throttling', action: 'Wait a few minutes and try again.' },
  [apperr.Code.GraphUnavailable]: { title: 'Microsoft Graph is not reachable', action: 'Check the network and try again.' },
  [apperr.Code.GraphBadResponse]: { title: 'Microsoft Graph sent an unexpected answer', action: 'Try again; if it persists, run a full sync.' },
  [apperr.Code.GraphDeltaExpired]: { title: 'A full read is needed', action: 'Preview again: the next sync reads the whole directory.' },
  [apperr.Code.AtlassianUnauthorized]: { title: 'Atlassian refused the API key', action: 'Check the directory API key (it may have expired) and enter it again.' },
  [apperr.Code.AtlassianForbidden]: { title: 'Atlassian refused the request', action: 'Check that the key belongs to this directory and organization.' },
  [apperr.Code.AtlassianNotFound]: { title: 'Atlassian could not find it', action: 'Check the SCIM directory URL and the organization id.' },
  [apperr.Code.AtlassianConflict]: { title: 'Atlassian reported a conflict', action: 'Preview again to adopt the existing object.' },
  [apperr.Code.AtlassianThrottled]: { title: 'Atlassian is throttling', action: 'Wait a few minutes and sync again; nothing is lost.' },
  [apperr.Code.AtlassianUnavailable]: { title: 'Atlassian is not reachable', action: 'Check the network and try again.' },
  [apperr.Code.AtlassianBadResponse]: { title: 'Atlassian sent an unexpected answer', action: 'Try again later.' },
  [apperr.Code.AtlassianRejected]: { title: 'Atlassian rejected a change', action: 'Read the message, correct the object in Entra, and sync again.' },
  [apperr.Code.InsecureUrl]: { title: 'The URL is not allowed', action: 'Use the https URL Atlassian shows for the directory.' },
  [apperr.Code.SyncLocked]: { title: 'A sync is already running', action: 'Wait for it to finish, then try again.' },
  [apperr.Code.ConfirmationRequired]: { title: 'Confirm again', action: 'Preview again and confirm the tenant and domains.' },
  [apperr.Code.ThresholdExceeded]: { title: 'Too many deactivations', action: 'Review the deactivations in the preview; override the threshold for this sync only if they are expected.' },
  [apperr.Code.RemovalThresholdExceeded]: { title: 'Too many membership removals', action: 'Review the membership removals in the preview; override the removal threshold for this sync only if they are expected.' },
  [apperr.Code.ReadShrank]: { title: 'Entra returned far fewer objects than last time', action: "Check the app registration's permissions and the tenant; override this check for this sync only if the objects were really deleted." },
  [apperr.Code.PlanLimitExceeded]: { title: "Over Atlassian's limits", action: 'Select fewer users or split large groups.' },
  [apperr.Code.SuspendUnavailable]: { title: 'Suspending access needs the organization API key', action: 'Add the organization id and key on the Connection tab, or choose Deactivate for users who leave scope in the sync settings.' },
  [apperr.Code.ConflictUnresolved]: { title: 'A group conflict needs a decision', action: 'Take over or skip each conflicting group.' },
  [apperr.Code.StoreCorrupt]: { title: 'Local data cannot be read', action: 'Restore the IdP Sync data folder from a backup, or remove the directory and add it again.' },
  [apperr.Code.ReportInvalid]: { title: 'This is not a readable report', action: 'Choose a report exported by IdP Sync (.json, .json.gz or .html).' },
  [apperr.Code.ReportTooLarge]: { title: 'The report is too large', action: 'Open a smaller report, or use idpsync report show in a terminal.' },
  [apperr.Code.ReportUnsupportedVersion]: { title: 'Report from another version', action: 'Open it with the version of IdP Sync that wrote it.' },
};

// A code from a newer or older backend than this frontend has no words: the fallbacks say so.
function textOf(code: string): { title: string; action: string } | undefined {
  return codeText[code as apperr.Code];
}

export function codeTitle(code: string): string {
  return textOf(code)?.title ?? 'Something went wrong';
}

/** The action to take: the backend's own, else the code's. */
export function codeAction(code: string, action?: string): string {
  return action || textOf(code)?.action || 'Try again.';
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
