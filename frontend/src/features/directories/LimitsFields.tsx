import Textfield from '@atlaskit/textfield';
import type { engine } from '../api';

// Atlassian's defaults for a synced directory and the maxima it raises them to on request
// (support.atlassian.com, "Users and Groups limits").
const fields: { key: keyof engine.Limits; label: string; def: number; max: number }[] = [
  { key: 'users', label: 'Users in the directory', def: 150000, max: 1000000 },
  { key: 'usersPerGroup', label: 'Users per group', def: 35000, max: 290000 },
  { key: 'groups', label: 'Groups', def: 250000, max: 250000 },
  { key: 'memberships', label: 'Memberships', def: 8000000, max: 8000000 },
];

/** The directory's Atlassian limits: the defaults, or what Atlassian raised them to for the organization. */
export function LimitsFields({ limits, onChange }: { limits: engine.Limits | undefined; onChange: (l: engine.Limits) => void }) {
  const cur = (k: keyof engine.Limits, def: number) => (limits && limits[k] ? limits[k] : def);
  return (
    <fieldset className="fieldset" data-testid="limits">
      <legend>Atlassian limits</legend>
      <p className="muted">
        Atlassian's defaults for a synced directory are 150,000 users and 35,000 users per group. If Atlassian raised your organization's
        limits, enter them here (at most 1,000,000 users, 290,000 per group, 250,000 groups, 8,000,000 memberships). A plan over a limit
        writes nothing.
      </p>
      <div className="row-gap">
        {fields.map((f) => (
          <div key={f.key}>
            <label className="field-label" htmlFor={`limit-${f.key}`}>
              {f.label}
            </label>
            <Textfield
              id={`limit-${f.key}`}
              type="number"
              min={1}
              max={f.max}
              value={String(cur(f.key, f.def))}
              onChange={(e) => {
                const n = Math.min(f.max, Math.max(0, Math.floor(Number(e.currentTarget.value) || 0)));
                onChange({ ...(limits ?? {}), [f.key]: n } as engine.Limits);
              }}
              testId={`limit-${f.key}`}
            />
          </div>
        ))}
      </div>
    </fieldset>
  );
}
