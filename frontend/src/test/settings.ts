import type { engine } from '../../wailsjs/go/models';

/** A directory's default sync settings as the backend answers them (engine.DefaultSettings). */
export const defaultSettings: engine.Settings = {
  domainMode: 'all',
  userMode: 'all',
  includeDisabled: false,
  includeExternal: true,
  autoSync: false,
  autoIntervalMinutes: 240,
  deactivationMaxCount: 50,
  deactivationMaxPercent: 10,
  removalMaxCount: 500,
  removalMaxPercent: 10,
  deleteOutOfScopeGroups: false,
  fullReconcileEvery: 10,
  memberChunkSize: 100,
  concurrency: 32,
  limits: { users: 150000, usersPerGroup: 35000, groups: 250000, memberships: 8000000 },
  leaveScope: 'deactivate',
};
