import SectionMessage from '@atlaskit/section-message';
import Textfield from '@atlaskit/textfield';
import type { alert, backend } from '../api';

/**
 * The Connection tab's Advanced endpoints: a proxy, a sovereign-cloud endpoint or a test tenant.
 * Stored with the directory and used by the app and the headless commands alike (issue 16 point 7).
 */
export function AdvancedEndpoints({ input, set }: { input: backend.DirectoryInput; set: (p: Partial<backend.DirectoryInput>) => void }) {
  const fields: { id: string; key: 'graphUrl' | 'authorityUrl' | 'orgUrl'; label: string; placeholder: string }[] = [
    { id: 'graph-url', key: 'graphUrl', label: 'Microsoft Graph URL', placeholder: 'https://graph.microsoft.com/v1.0' },
    { id: 'authority-url', key: 'authorityUrl', label: 'Sign-in authority', placeholder: 'https://login.microsoftonline.com' },
    { id: 'org-url', key: 'orgUrl', label: 'Atlassian organization API', placeholder: 'https://api.atlassian.com' },
  ];
  const open = fields.some((f) => (input[f.key] ?? '') !== '');
  return (
    <details className="fieldset" open={open} data-testid="advanced-endpoints">
      <summary>Advanced: endpoints (leave empty for the cloud&apos;s defaults)</summary>
      {fields.map((f) => (
        <div key={f.id}>
          <label className="field-label" htmlFor={f.id}>
            {f.label}
          </label>
          <Textfield id={f.id} value={input[f.key] ?? ''} placeholder={f.placeholder} onChange={(e) => set({ [f.key]: e.currentTarget.value })} testId={f.id} />
        </div>
      ))}
    </details>
  );
}

/** The overview's last alert: a scheduled or automatic sync that failed, partly failed or was blocked. */
export function LastAlert({ last }: { last?: alert.Alert }) {
  if (!last) return null;
  return (
    <SectionMessage appearance="warning" title={`Last alert, ${new Date(last.at).toLocaleString()}: the scheduled sync ${last.status === 'blocked' ? 'was stopped before writing' : last.status === 'partial' ? 'partly failed' : 'failed'}`} testId="last-alert">
      <p>{last.message}</p>
      {last.action && <p>{last.action}</p>}
      <p className="muted">
        Error code: {last.code || 'none'}. Sent to: {last.delivered.length ? last.delivered.join(', ') : 'nowhere'}
        {last.errors?.length ? ` (not delivered: ${last.errors.join('; ')})` : ''}.
      </p>
    </SectionMessage>
  );
}
