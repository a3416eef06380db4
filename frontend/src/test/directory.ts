import { backend } from '../../wailsjs/go/models';

/** A directory as the backend lists it (enabled, SCIM key stored, never synced); each test overrides what it is about. */
export function testDirectory(over: Partial<backend.Directory> = {}): backend.Directory {
  return {
    warnings: [],
    id: 'd1',
    name: 'Contoso',
    cloud: 'global',
    clientId: 'c',
    scimBaseUrl: 'https://api.atlassian.com/scim/directory/x',
    allowCustomHost: false,
    hasScimKey: true,
    hasOrgKey: false,
    keyExpiresInDays: 200,
    status: backend.DirStatus.Enabled,
    syncedUsers: 0,
    syncedGroups: 0,
    syncedDomains: 0,
    created: '2026-12-01T00:00:00Z',
    ...over,
  };
}
