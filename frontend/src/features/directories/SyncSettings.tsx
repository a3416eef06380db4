import Button from '@atlaskit/button/new';
import { Checkbox } from '@atlaskit/checkbox';
import DynamicTable from '@atlaskit/dynamic-table';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import { RadioGroup } from '@atlaskit/radio';
import SectionMessage from '@atlaskit/section-message';
import Select from '@atlaskit/select';
import Spinner from '@atlaskit/spinner';
import Textfield from '@atlaskit/textfield';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useFlags } from '../../lib/flags';
import { DirectoryService, toAppError, type AppError, type engine } from '../api';
import { ErrorMessage } from '../common/errors';
import { useAction } from '../common/action';
import { Loading, useLoad } from '../common/loading';
import { ClaimStatus } from '../common/status';
import { LeaveScopeField } from './LeaveScopeField';
import { LimitsFields } from './LimitsFields';
import { GroupPicker } from './GroupPicker';
import { KeepSyncing } from './KeepSyncing';

const intervals = [
  { label: 'Every hour', value: 60 },
  { label: 'Every 2 hours', value: 120 },
  { label: 'Every 4 hours (as Atlassian)', value: 240 },
  { label: 'Every 8 hours', value: 480 },
  { label: 'Every day', value: 1440 },
];

/** Splits the protected-groups field: one name per line or comma. */
export function parseNames(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * Sync settings, with Atlassian's sections: sync status, domains to verify, users to sync; then
 * IdP Sync's safety settings. Saving while a sync runs is allowed: it applies to the next sync.
 */
/** Unsaved edits of the settings, which the page's Sync now asks about before it previews. */
export interface SettingsDraft {
  /** Saves the edits; false when they were not saved (an error, or a confirmation still open). */
  save: () => Promise<boolean>;
  discard: () => void;
}

// What the admin edits, comparable with what is saved.
function draftKey(s: engine.Settings, protectedText: string): string {
  return JSON.stringify({ ...s, protectedGroups: parseNames(protectedText) });
}

/** One section of the settings page, a level-2 heading naming it (Atlassian's layout). */
function SettingsSection({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="settings-section" aria-labelledby={id}>
      <Heading as="h2" size="small" id={id}>
        {title}
      </Heading>
      {children}
    </section>
  );
}

export function SyncSettings({
  directoryId,
  running,
  hasOrgKey = false,
  onSaved,
  onDraft,
}: {
  directoryId: string;
  running: boolean;
  /** The organization id and key are set: "suspend access" can be chosen. */
  hasOrgKey?: boolean;
  onSaved: () => void;
  onDraft?: (d: SettingsDraft | null) => void;
}) {
  const flags = useFlags();
  const [s, setS] = useState<engine.Settings | null>(null);
  const { value: domains, error: domainError } = useLoad(async () => (await DirectoryService.Domains(directoryId)) ?? [], [directoryId]);
  const [error, setError] = useState<AppError | null>(null);
  const [protectedText, setProtectedText] = useState('');
  const { busy: saving, error: saveError, run } = useAction();
  const [saved, setSaved] = useState<engine.Settings | null>(null);
  const [askDelete, setAskDelete] = useState(false);
  const dirty = s !== null && saved !== null && draftKey(s, protectedText) !== draftKey(saved, (saved.protectedGroups ?? []).join(', '));
  const saveRef = useRef<(confirmed: boolean) => Promise<boolean>>(async () => false);
  useEffect(() => {
    if (!onDraft) return;
    onDraft(
      dirty && saved
        ? {
            save: () => saveRef.current(false),
            discard: () => {
              setS(saved);
              setProtectedText((saved.protectedGroups ?? []).join(', '));
            },
          }
        : null,
    );
  }, [dirty, saved, onDraft]);
  useEffect(() => () => onDraft?.(null), [onDraft]);

  useEffect(() => {
    let live = true;
    DirectoryService.SyncSettings(directoryId).then(
      (x) => {
        if (!live) return;
        setS(x);
        setSaved(x);
        setProtectedText((x.protectedGroups ?? []).join(', '));
      },
      (e) => live && setError(toAppError(e)),
    );
    return () => {
      live = false;
    };
  }, [directoryId]);

  // Turning on the deletion of groups that leave the scope takes permissions away on every
  // site: it is saved only after its own confirmation.
  const save = async (confirmed: boolean): Promise<boolean> => {
    if (!s) return false;
    if (s.deleteOutOfScopeGroups && !saved?.deleteOutOfScopeGroups && !confirmed) {
      setAskDelete(true);
      return false;
    }
    setAskDelete(false);
    return run(async () => {
      const got = await DirectoryService.SaveSettings(directoryId, { ...s, protectedGroups: parseNames(protectedText) });
      setS(got);
      setSaved(got);
      setProtectedText((got.protectedGroups ?? []).join(', '));
      flags.showSuccess('Settings saved', running ? 'Your changes apply to the next sync.' : 'Preview the changes before you sync.');
      onSaved();
    });
  };
  useEffect(() => {
    saveRef.current = save;
  });

  if (error) return <ErrorMessage error={error} title="The settings could not be read" />;
  if (!s)
    return <Loading label="Loading settings" />;
  const set = (p: Partial<engine.Settings>) => setS({ ...s, ...p });
  const chosenDomains = new Set(s.domains ?? []);


  return (
    <div className="settings" data-testid="sync-settings">
      {running && (
        <SectionMessage appearance="information" title="A sync is in progress" testId="settings-running">
          <p>You can edit the settings now, but your changes apply only to the next sync.</p>
        </SectionMessage>
      )}

      <SettingsSection id="set-status" title="Set sync status">
        <RadioGroup
          name="autoSync"
          value={s.autoSync ? 'on' : 'off'}
          onChange={(e) => set({ autoSync: e.currentTarget.value === 'on' })}
          options={[
            { name: 'autoSync', value: 'on', label: 'Enable automatic syncing', testId: 'auto-on' },
            { name: 'autoSync', value: 'off', label: 'Disable automatic syncing', testId: 'auto-off' },
          ]}
        />
        <p className="muted">
          {s.autoSync
            ? 'While IdP Sync runs, it syncs at the interval below, under your last confirmation of the tenant and domains. If either changed, it waits for you.'
            : 'You start every sync yourself with Sync now.'}
        </p>
        {s.autoSync && (
          <div className="narrow">
            <label className="field-label" htmlFor="interval">
              Sync interval
            </label>
            <Select
              inputId="interval"
              options={intervals}
              value={intervals.find((i) => i.value === s.autoIntervalMinutes) ?? { label: `Every ${s.autoIntervalMinutes} minutes`, value: s.autoIntervalMinutes }}
              onChange={(o) => set({ autoIntervalMinutes: o?.value ?? 240 })}
            />
            <KeepSyncing directoryId={directoryId} everyMinutes={s.autoIntervalMinutes} />
          </div>
        )}
      </SettingsSection>

      <SettingsSection id="set-domains" title="Select domains to verify">
        <p className="muted">
          During a sync, only users from the domains you verify sync. Only domains with the Verified status in Entra qualify. External
          users always sync, whatever their domain.
        </p>
        <RadioGroup
          name="domainMode"
          value={s.domainMode}
          onChange={(e) => set({ domainMode: e.currentTarget.value })}
          options={[
            { name: 'domainMode', value: 'all', label: 'Verify all available domains', testId: 'domains-all' },
            { name: 'domainMode', value: 'specific', label: 'Verify only specific domains', testId: 'domains-specific' },
          ]}
        />
        {domainError ? (
          <ErrorMessage error={domainError} title="The domains could not be read" />
        ) : domains === null ? (
          <Spinner label="Loading domains" />
        ) : (
          <div data-testid="domain-table">
          <DynamicTable
                        head={{
              cells: [
                { key: 'sel', content: <span className="visually-hidden">Selected</span>, width: 6 },
                { key: 'name', content: 'Domain' },
                { key: 'entra', content: 'Entra verification' },
                { key: 'atl', content: 'Atlassian claim status' },
              ],
            }}
            rows={domains.map((d) => {
              const on = d.selectable && (s.domainMode === 'all' || chosenDomains.has(d.name));
              return {
                key: d.name,
                testId: `domain-${d.name}`,
                cells: [
                  {
                    key: 'sel',
                    content: (
                      <Checkbox
                        isChecked={on}
                        isDisabled={!d.selectable || s.domainMode === 'all'}
                        aria-label={`Sync ${d.name}`}
                        testId={`domain-check-${d.name}`}
                        onChange={() => {
                          const next = new Set(chosenDomains);
                          if (next.has(d.name)) next.delete(d.name);
                          else next.add(d.name);
                          set({ domains: [...next].sort() });
                        }}
                      />
                    ),
                  },
                  {
                    key: 'name',
                    content: (
                      <span>
                        {d.name} {d.isDefault && <Lozenge>Default</Lozenge>} {d.isInitial && <Lozenge>Initial</Lozenge>}
                      </span>
                    ),
                  },
                  { key: 'entra', content: d.verifiedInEntra ? <Lozenge appearance="success">Verified</Lozenge> : <Lozenge appearance="moved">Not verified</Lozenge> },
                  { key: 'atl', content: <ClaimStatus status={d.atlassianStatus} /> },
                ],
              };
            })}
          />
          </div>
        )}
      </SettingsSection>

      <SettingsSection id="set-users" title="Select users to sync">
        <RadioGroup
          name="userMode"
          value={s.userMode}
          onChange={(e) => set({ userMode: e.currentTarget.value })}
          options={[
            { name: 'userMode', value: 'all', label: 'Sync all users and groups', testId: 'users-all' },
            { name: 'userMode', value: 'groups', label: 'Sync specific groups and their users', testId: 'users-groups' },
          ]}
        />
        <p className="muted">
          {s.userMode === 'all'
            ? 'New users and groups in Entra are included in the next sync.'
            : 'A selected group brings its nested subgroups; their users become members of every ancestor group in Atlassian.'}
        </p>
        {s.userMode === 'groups' && <GroupPicker directoryId={directoryId} selected={s.groups ?? []} onChange={(groups) => set({ groups })} />}
        <div className="checks">
          <Checkbox isChecked={s.includeExternal} onChange={(e) => set({ includeExternal: e.currentTarget.checked })} label="Sync external (guest) users whatever their domain" />
          <Checkbox isChecked={s.includeDisabled} onChange={(e) => set({ includeDisabled: e.currentTarget.checked })} label="Create accounts for users disabled in Entra (as deactivated accounts)" />
        </div>
      </SettingsSection>

      <SettingsSection id="set-safety" title="Safety">
        <p className="muted">A sync that would deactivate (or suspend) more users than either limit stops before writing, until you override it for that sync.</p>
        <div className="row-gap">
          <div>
            <label className="field-label" htmlFor="max-count">
              Deactivation threshold (users)
            </label>
            <Textfield id="max-count" type="number" min={0} value={String(s.deactivationMaxCount)} onChange={(e) => set({ deactivationMaxCount: Math.max(0, Number(e.currentTarget.value) || 0) })} testId="max-count" />
          </div>
          <div>
            <label className="field-label" htmlFor="max-percent">
              Deactivation threshold (% of managed users)
            </label>
            <Textfield id="max-percent" type="number" min={0} max={100} value={String(s.deactivationMaxPercent)} onChange={(e) => set({ deactivationMaxPercent: Math.min(100, Math.max(0, Number(e.currentTarget.value) || 0)) })} testId="max-percent" />
          </div>
        </div>
        <p className="muted">A sync that would remove more group memberships than either limit (every member of a group it deletes counts) stops the same way.</p>
        <div className="row-gap">
          <div>
            <label className="field-label" htmlFor="removal-count">
              Membership-removal threshold (memberships)
            </label>
            <Textfield id="removal-count" type="number" min={0} value={String(s.removalMaxCount)} onChange={(e) => set({ removalMaxCount: Math.max(0, Number(e.currentTarget.value) || 0) })} testId="removal-count" />
          </div>
          <div>
            <label className="field-label" htmlFor="removal-percent">
              Membership-removal threshold (% of managed memberships)
            </label>
            <Textfield id="removal-percent" type="number" min={0} max={100} value={String(s.removalMaxPercent)} onChange={(e) => set({ removalMaxPercent: Math.min(100, Math.max(0, Number(e.currentTarget.value) || 0)) })} testId="removal-percent" />
          </div>
        </div>
        <label className="field-label" htmlFor="protected">
          Protected groups (Atlassian group names, separated by commas): never changed by IdP Sync
        </label>
        <Textfield id="protected" value={protectedText} onChange={(e) => setProtectedText(e.currentTarget.value)} placeholder="site-admins, jira-administrators" testId="protected-groups" />
        <LeaveScopeField value={s.leaveScope} hasOrgKey={hasOrgKey} onChange={(v) => set({ leaveScope: v })} />
        <LimitsFields limits={s.limits} onChange={(l) => set({ limits: l })} />
        <fieldset className="fieldset">
          <legend>Groups that leave the sync scope</legend>
          <RadioGroup
            name="outOfScope"
            value={s.deleteOutOfScopeGroups ? 'delete' : 'keep'}
            onChange={(e) => set({ deleteOutOfScopeGroups: e.currentTarget.value === 'delete' })}
            options={[
              { name: 'outOfScope', value: 'keep', label: 'Leave them in Atlassian and stop managing them (recommended)' },
              { name: 'outOfScope', value: 'delete', label: 'Delete them from Atlassian' },
            ]}
          />
          {/* One note for either choice, in a box of fixed height: choosing delete turns it into
              the warning instead of opening a new one, so Save below does not move. */}
          <div className="choice-note" data-testid="out-of-scope-note">
            {s.deleteOutOfScopeGroups ? (
              <SectionMessage appearance="warning" title="Deleting a group removes the permissions it grants">
                <p>Users lose the product access and site permissions the group gives them, on every site.</p>
              </SectionMessage>
            ) : (
              <SectionMessage appearance="information" title="Groups that leave the scope keep their members">
                <p>IdP Sync stops managing them; they keep granting what they grant until you delete them in Atlassian.</p>
              </SectionMessage>
            )}
          </div>
        </fieldset>
      </SettingsSection>

      <div className="footer-buttons sticky-footer">
        {dirty && (
          <span className="muted small" data-testid="settings-unsaved">
            Unsaved changes
          </span>
        )}
        <Button appearance="primary" onClick={() => void save(false)} isLoading={saving} testId="save-settings">
          Save settings
        </Button>
      </div>
      {/* Under Save, not above it: a failed save does not move the button that failed. */}
      {saveError && <ErrorMessage error={saveError} title="The settings were not saved" testId="settings-error" />}
      <ModalTransition>
        {askDelete && (
          <ModalDialog onClose={() => setAskDelete(false)} testId="confirm-delete-groups">
            <ModalHeader>
              <ModalTitle appearance="danger">Delete groups that leave the sync scope?</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <p>From the next sync, a group that leaves the scope is deleted from Atlassian. Its members lose the product access and site permissions it grants, on every site. A deleted group cannot be restored.</p>
            </ModalBody>
            <ModalFooter>
              <Button appearance="subtle" onClick={() => setAskDelete(false)}>
                Cancel
              </Button>
              <Button appearance="danger" onClick={() => void save(true)} testId="confirm-delete-groups-yes">
                Delete groups that leave the scope
              </Button>
            </ModalFooter>
          </ModalDialog>
        )}
      </ModalTransition>
    </div>
  );
}
