import Button from '@atlaskit/button/new';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle } from '@atlaskit/modal-dialog';
import { openExternal } from '../features/api';

interface Help {
  title: string;
  body: string[];
  links: { text: string; url: string }[];
}

// The pages each screen relies on: Microsoft's for the app registration and Graph, Atlassian's
// for the identity-provider directory, its API key, the SCIM API and the limits.
const links = {
  register: { text: 'Microsoft: register an application in Entra ID', url: 'https://learn.microsoft.com/entra/identity-platform/quickstart-register-app' },
  consent: { text: 'Microsoft: grant tenant-wide admin consent', url: 'https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent' },
  tenantId: { text: 'Microsoft: find your tenant ID', url: 'https://learn.microsoft.com/entra/fundamentals/how-to-find-tenant' },
  idp: { text: 'Atlassian: connect an identity provider', url: 'https://support.atlassian.com/security-and-access-policies/docs/understand-user-provisioning/' },
  azure: { text: 'Atlassian: configure user provisioning with Microsoft Azure AD', url: 'https://support.atlassian.com/provisioning-users/docs/configure-user-provisioning-with-azure-ad/' },
  limits: { text: 'Atlassian: users and groups limits', url: 'https://support.atlassian.com/provisioning-users/docs/understand-user-provisioning/' },
  scim: { text: 'Atlassian: user provisioning (SCIM) REST API', url: 'https://developer.atlassian.com/cloud/admin/user-provisioning/rest/intro/' },
};

const help: Record<string, Help> = {
  'identity-providers': {
    title: 'Identity providers',
    body: [
      'Each identity provider directory connects one Entra ID tenant to your Atlassian organization. Add one with Add identity provider: name it, enter the directory’s SCIM base URL and API key from admin.atlassian.com, then sign in with Microsoft.',
      'A directory’s overview shows its status: Sync enabled or disabled when idle, Sync in progress, Needs attention when a safety rail stopped the last sync, Last sync cancelled, Not signed in, or API key expired.',
      'Sync now always previews first: you see every change, decide held group conflicts, and confirm the tenant and domains before anything is written. Cancel stops after the changes in flight; the next sync makes the rest.',
    ],
    links: [links.idp, links.azure, links.register, links.consent, links.tenantId],
  },
  'sync-history': {
    title: 'Sync history',
    body: [
      'Every preview and sync of every directory, newest first, with its result, duration and changes. A cancelled sync says how many of its changes were made and how many were not.',
      'View report opens the run’s report: every change with its result, what was left out and why, and exports to JSON, HTML and CSV.',
    ],
    links: [links.scim],
  },
  reports: {
    title: 'Sync reports',
    body: ['Open a report file exported by IdP Sync (.json, .json.gz or .html), here or on another machine, to review its changes offline and compare it with another run.'],
    links: [links.scim],
  },
  users: {
    title: 'Users',
    body: ['IdP Sync does not keep a copy of your organization’s users. The users a directory synced are in its overview counts and its sync reports.'],
    links: [links.limits],
  },
  groups: {
    title: 'Groups',
    body: ['Atlassian groups cannot contain groups, so every synced group gets the flattened membership of its Entra group: a user in a nested group is a member of every ancestor group.'],
    links: [links.limits],
  },
};

/** "?" in the top bar: help for the screen the admin is on, with the pages it relies on. */
export function HelpDialog({ path, onClose, onAbout }: { path: string; onClose: () => void; onAbout: () => void }) {
  const h = help[path] ?? help['identity-providers'];
  return (
    <ModalDialog onClose={onClose} width="medium" testId="help-dialog">
      <ModalHeader>
        <ModalTitle>Help: {h.title}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        {h.body.map((p) => (
          <p key={p}>{p}</p>
        ))}
        <h3 className="subhead">Read more</h3>
        <ul className="plain" data-testid="help-links">
          {h.links.map((l) => (
            <li key={l.url}>
              <a
                href={l.url}
                onClick={(e) => {
                  e.preventDefault();
                  openExternal(l.url);
                }}
              >
                {l.text}
              </a>
            </li>
          ))}
        </ul>
      </ModalBody>
      <ModalFooter>
        <Button appearance="subtle" onClick={onAbout} testId="help-about">
          About IdP Sync
        </Button>
        <Button appearance="primary" onClick={onClose} autoFocus>
          Close
        </Button>
      </ModalFooter>
    </ModalDialog>
  );
}
