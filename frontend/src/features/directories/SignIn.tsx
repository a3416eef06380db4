import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import { useEffect, useRef, useState } from 'react';
import { DirectoryService, EventsOn, events, toAppError, type AppError, type backend, type DeviceCode } from '../api';
import { ErrorMessage } from '../common/errors';
import { useAction } from '../common/action';
import { useLoad } from '../common/loading';

/**
 * "Sign in with Microsoft": the system browser opens Microsoft's sign-in; a device code is the
 * fallback for machines where the browser cannot reach back. While waiting, the admin can cancel.
 */
export function SignIn({ directoryId, onSignedIn }: { directoryId: string; onSignedIn: (a: backend.Account) => void }) {
  const [waiting, setWaiting] = useState<'browser' | 'device' | null>(null);
  const [code, setCode] = useState<DeviceCode | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const live = useRef(true);

  useEffect(() => {
    live.current = true;
    const off = EventsOn(events.deviceCode, (dc: DeviceCode) => {
      if (dc?.directoryId === directoryId) setCode(dc);
    });
    return () => {
      live.current = false;
      off?.();
    };
  }, [directoryId]);

  const start = (mode: 'browser' | 'device') => {
    setError(null);
    setCode(null);
    setWaiting(mode);
    const p = mode === 'browser' ? DirectoryService.SignIn(directoryId) : DirectoryService.SignInDeviceCode(directoryId);
    p.then(
      (a) => {
        if (!live.current) return;
        setWaiting(null);
        onSignedIn(a);
      },
      (e) => {
        if (!live.current) return;
        setWaiting(null);
        setError(toAppError(e));
      },
    );
  };

  const cancel = () => {
    void DirectoryService.CancelSignIn(directoryId).catch(() => {});
  };

  if (waiting)
    return (
      <div className="signin-wait" data-testid="signin-waiting" aria-live="polite">
        <Spinner label="Waiting for sign-in" size="large" />
        {waiting === 'browser' ? (
          <div>
            <p>
              <strong>Finish signing in in your browser.</strong>
            </p>
            <p className="muted">
              Microsoft asks you to allow IdP Sync to read users, groups and domains. Come back here once you have accepted.
            </p>
          </div>
        ) : (
          <div data-testid="device-code">
            {code ? (
              <>
                <p>
                  Go to <strong>{code.url}</strong> and enter the code <strong className="device-code">{code.userCode}</strong>
                </p>
                <p className="muted">{code.message}</p>
                <Button onClick={() => void DirectoryService.OpenDeviceLogin(directoryId).catch((e) => setError(toAppError(e)))} testId="open-device-login">
                  Open the sign-in page
                </Button>
              </>
            ) : (
              <p>Asking Microsoft for a code…</p>
            )}
          </div>
        )}
        <Button appearance="subtle" onClick={cancel} testId="signin-cancel">
          Cancel
        </Button>
      </div>
    );
  return (
    <div className="signin" data-testid="signin">
      {error && <ErrorMessage error={error} title={error.code === 'auth_canceled' ? 'Sign-in cancelled' : 'Sign-in did not complete'} />}
      <p>Sign in with a Microsoft account that is an admin of the Entra tenant to sync. IdP Sync then reads users, groups and domains through Microsoft Graph.</p>
      <div className="row-gap">
        <Button appearance="primary" onClick={() => start('browser')} testId="signin-microsoft">
          Sign in with Microsoft
        </Button>
        <Button appearance="subtle" onClick={() => start('device')} testId="signin-device">
          Use a device code instead
        </Button>
      </div>
    </div>
  );
}

/** Shows the signed-in tenant before anything else, so that a wrong tenant is caught early. */
export function TenantCard({ directoryId, onSignedOut }: { directoryId: string; onSignedOut?: () => void }) {
  const { value: tenant, error } = useLoad(() => DirectoryService.Tenant(directoryId), [directoryId]);
  const { busy: signingOut, error: signOutError, run } = useAction();
  // The way out of a wrong tenant: forget this account, then sign in with another.
  const signOut = () =>
    run(async () => {
      await DirectoryService.SignOut(directoryId);
      onSignedOut?.();
    });
  if (error) return <ErrorMessage error={error} title="The tenant could not be read" />;
  if (!tenant) return <Spinner label="Reading the tenant" />;
  return (
    <div className="tenant-card" data-testid="tenant-card">
      <dl className="kv">
        <dt>Tenant</dt>
        <dd data-testid="tenant-name">{tenant.displayName}</dd>
        <dt>Tenant ID</dt>
        <dd data-testid="tenant-id">{tenant.id}</dd>
        <dt>Initial domain</dt>
        <dd>{tenant.initialDomain}</dd>
        {tenant.defaultDomain && tenant.defaultDomain !== tenant.initialDomain && (
          <>
            <dt>Default domain</dt>
            <dd>{tenant.defaultDomain}</dd>
          </>
        )}
      </dl>
      {tenant.mismatch ? (
        <SectionMessage appearance="error" title="This is not the tenant this directory syncs" testId="tenant-mismatch">
          <p>
            The directory is linked to tenant {tenant.pinnedTenantId}. Sign in with an account of that tenant; IdP Sync will not sync
            another tenant into this directory.
          </p>
        </SectionMessage>
      ) : (
        <SectionMessage appearance="warning" title="Make sure this is the right tenant" testId="tenant-warning">
          <p>
            To avoid syncing the wrong tenant, link the correct tenant to a new account or set it as the home tenant. Before you start
            syncing, we show you the domains you're about to sync so that you can verify them.
          </p>
        </SectionMessage>
      )}
      {onSignedOut && (
        <div className="row-gap top-gap">
          <span className="muted">Not this tenant?</span>
          <Button onClick={() => void signOut()} isLoading={signingOut} testId="tenant-sign-out">
            Sign out and sign in with another account
          </Button>
        </div>
      )}
      {signOutError && <ErrorMessage error={signOutError} title="Could not sign out" />}
    </div>
  );
}
