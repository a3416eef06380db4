import Button from '@atlaskit/button/new';
import ModalDialog, { ModalBody, ModalFooter, ModalHeader, ModalTitle } from '@atlaskit/modal-dialog';
import SectionMessage from '@atlaskit/section-message';
import Textfield from '@atlaskit/textfield';
import { useState } from 'react';
import { AppService, type app } from '../features/api';
import { useAction } from '../features/common/action';

/** About the build, plus a round-trip check that the Go backend answers (Ping). */
export function AboutDialog({ about, onClose }: { about: app.AboutInfo | null; onClose: () => void }) {
  const [message, setMessage] = useState('');
  const [reply, setReply] = useState<app.PingReply | null>(null);
  const { busy, error, run } = useAction();

  const send = () => {
    setReply(null);
    return run(async () => setReply(await AppService.Ping(message)));
  };

  return (
    <ModalDialog onClose={onClose} width="medium" testId="about-dialog">
      <ModalHeader>
        <ModalTitle>About IdP Sync</ModalTitle>
      </ModalHeader>
      <ModalBody>
        {about ? (
          <dl className="about-list">
            <dt>Version</dt>
            <dd data-testid="about-version">{about.version}</dd>
            <dt>Platform</dt>
            <dd>{about.platform}</dd>
            <dt>Data folder</dt>
            <dd data-testid="about-datadir">{about.dataDir}</dd>
          </dl>
        ) : (
          <p>Loading…</p>
        )}
        <p className="about-note">Secrets (API keys, sign-in tokens) are kept in the operating system's keychain, never in the data folder.</p>
        <form
          className="ping-form"
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          <label htmlFor="ping-message">Check that the app's backend answers</label>
          <div className="ping-row">
            <Textfield
              id="ping-message"
              value={message}
              onChange={(e) => setMessage(e.currentTarget.value)}
              placeholder="Type a message"
              testId="ping-input"
            />
            <Button type="submit" isLoading={busy} testId="ping-send">
              Send
            </Button>
          </div>
        </form>
        {reply && (
          <SectionMessage appearance="success" title="The backend answered" testId="ping-reply">
            <p>
              “{reply.echo}” at {reply.receivedAt}
            </p>
          </SectionMessage>
        )}
        {error && (
          <SectionMessage appearance="error" title={error.message} testId="ping-error">
            {error.action && <p>{error.action}</p>}
            <p className="error-code">Error code: {error.code}</p>
          </SectionMessage>
        )}
      </ModalBody>
      <ModalFooter>
        <Button appearance="primary" onClick={onClose}>
          Close
        </Button>
      </ModalFooter>
    </ModalDialog>
  );
}
