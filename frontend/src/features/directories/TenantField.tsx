import { ErrorMessage as FieldError, HelperMessage } from '@atlaskit/form';
import Textfield from '@atlaskit/textfield';

// The backend's rules (internal/backend/signintenant.go), checked as the admin types so that the
// save is not the first place a typo shows: a Directory (tenant) ID (8-4-4-4-12 hex) or a DNS
// domain name with at least two labels (MSAL takes either as the sign-in authority's tenant).
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const domain = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Why the typed tenant cannot be used, in words; undefined when it is empty or valid. */
export function validateTenant(value: string): string | undefined {
  const t = value.trim();
  if (!t) return undefined;
  if (/^(organizations|common)$/i.test(t)) return 'Leave the field empty instead: that is the shared sign-in endpoint, not a tenant.';
  if (/^consumers$/i.test(t)) return 'That endpoint signs in personal Microsoft accounts, which have no directory to sync.';
  if (guid.test(t) || (t.length <= 253 && domain.test(t))) return undefined;
  return 'Enter the Directory (tenant) ID, like 8f1c2d3e-0a4b-4c5d-9e6f-7a8b9c0d1e2f, or a domain verified in the tenant, like contoso.onmicrosoft.com.';
}

/**
 * The tenant the sign-in goes through (https://login.microsoftonline.com/{tenant}): needed by a
 * single-tenant app registration, which the README's setup creates and which Entra refuses on the
 * shared "organizations" endpoint (AADSTS50194). Once the first sync pins the tenant, the sign-in
 * uses the pinned tenant id.
 */
export function TenantField({ value, pinned, onChange }: { value: string; pinned?: string; onChange: (v: string) => void }) {
  const error = validateTenant(value);
  return (
    <div data-testid="tenant-field">
      <label className="field-label" htmlFor="sign-in-tenant">
        Directory (tenant) ID
      </label>
      <Textfield
        id="sign-in-tenant"
        value={value}
        placeholder="8f1c2d3e-0a4b-4c5d-9e6f-7a8b9c0d1e2f or contoso.onmicrosoft.com"
        onChange={(e) => onChange(e.currentTarget.value)}
        isInvalid={!!error}
        testId="sign-in-tenant"
      />
      {error ? (
        <FieldError testId="sign-in-tenant-error">{error}</FieldError>
      ) : (
        <HelperMessage testId="sign-in-tenant-help">
          {pinned
            ? `Sign-in uses tenant ${pinned}, which the first sync pinned this directory to.`
            : 'Needed when the app registration allows "Accounts in this organizational directory only" (single tenant, as the README sets it up): copy it from the registration\'s Overview page, or enter a domain verified in the tenant. Leave it empty only for a multi-tenant registration.'}
        </HelperMessage>
      )}
    </div>
  );
}
