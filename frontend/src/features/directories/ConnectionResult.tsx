import StatusErrorIcon from '@atlaskit/icon/core/status-error';
import StatusSuccessIcon from '@atlaskit/icon/core/status-success';
import StatusInformationIcon from '@atlaskit/icon/core/status-information';
import { token } from '@atlaskit/tokens';
import type { atlassian } from '../api';
import { codeAction } from '../common/errors';
import { plural } from '../common/format';

const parts: { key: 'scimUrl' | 'scimKey' | 'orgKey' | 'orgFound'; label: string }[] = [
  { key: 'scimUrl', label: 'SCIM directory URL' },
  { key: 'scimKey', label: 'Directory API key' },
  { key: 'orgKey', label: 'Organization API key' },
  { key: 'orgFound', label: 'Organization' },
];

/** What worked and what did not, part by part, after "Test connection". */
export function ConnectionResult({ report }: { report: atlassian.ConnectionReport }) {
  return (
    <ul className="check-list" data-testid="connection-result" aria-label="Connection test results">
      {parts.map(({ key, label }) => {
        const p = report[key];
        const icon = p.ok ? (
          <StatusSuccessIcon label="Passed" color={token('color.icon.success')} />
        ) : p.skipped ? (
          <StatusInformationIcon label="Not tested" color={token('color.icon.subtle')} />
        ) : (
          <StatusErrorIcon label="Failed" color={token('color.icon.danger')} />
        );
        return (
          <li key={key} data-testid={`check-${key}`} data-state={p.ok ? 'ok' : p.skipped ? 'skipped' : 'failed'}>
            {icon}
            <div>
              <strong>{label}</strong>: {p.message}
              {key === 'scimKey' && p.ok && report.userCount > 0 && <span className="muted"> ({plural(report.userCount, 'user')} in the directory)</span>}
              {!p.ok && !p.skipped && (
                <div className="muted">
                  {codeAction(p.code ?? '', p.action)} (error code: {p.code})
                </div>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
