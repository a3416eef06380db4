import Button from '@atlaskit/button/new';
import EmptyState from '@atlaskit/empty-state';
import Lozenge from '@atlaskit/lozenge';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle, ModalTransition } from '@atlaskit/modal-dialog';
import SectionMessage from '@atlaskit/section-message';
import { useState } from 'react';
import { DirectoryIllustration } from '../shell/Illustration';
import { PageLayout } from '../shell/PageLayout';

export function IdentityProvidersPage() {
  const [choosing, setChoosing] = useState(false);
  return (
    <PageLayout
      title="Identity providers"
      description="Connect Microsoft Entra ID to your Atlassian organization to sync its users and groups, nested groups included. You see every change before it is made."
    >
      <EmptyState
        testId="idp-empty"
        header="Add an identity provider"
        description="Sync users and groups from your identity provider's directory. Until you add one, your organization's users are managed in Atlassian only."
        headingLevel={2}
        renderImage={() => <DirectoryIllustration />}
        primaryAction={
          <Button appearance="primary" onClick={() => setChoosing(true)} testId="add-idp">
            Add identity provider
          </Button>
        }
      />
      <ModalTransition>
        {choosing && (
          <ModalDialog onClose={() => setChoosing(false)} width="medium" testId="choose-idp">
            <ModalHeader>
              <ModalTitle>Choose an identity provider</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <div className="provider-option" aria-disabled="true">
                <strong>Microsoft Azure AD</strong> <Lozenge appearance="new">Nested groups</Lozenge>
                <p>Automatically set up user provisioning from Microsoft Entra ID (formerly Azure AD).</p>
              </div>
              <SectionMessage appearance="information" title="Not available in this build yet">
                <p>
                  This build of IdP Sync shows the app's frame only. Connecting a directory arrives with sign-in and sync
                  settings.
                </p>
              </SectionMessage>
            </ModalBody>
            <ModalFooter>
              <Button appearance="subtle" onClick={() => setChoosing(false)}>
                Close
              </Button>
            </ModalFooter>
          </ModalDialog>
        )}
      </ModalTransition>
    </PageLayout>
  );
}
