import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import Textfield from '@atlaskit/textfield';
import { useState } from 'react';
import { DirectoryService, type backend } from '../api';
import { useAction } from '../common/action';
import { ErrorMessage } from '../common/errors';
import { formatCount } from '../common/format';

/**
 * Groups that Entra renames retired but that still hold members: Atlassian cannot rename a group,
 * so the old one keeps its members and the access it grants. "Finish rename" (confirmed by typing
 * the group's name) removes its members and deletes it, once product access has moved.
 */
export function RetiredGroups({ directoryId }: { directoryId: string }) {
  const [list, setList] = useState<backend.RetiredGroup[] | null>(null);
  const { busy, error, run: act } = useAction();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const run = (f: () => Promise<backend.RetiredGroup[]>) =>
    act(async () => {
      setList(await f());
      setConfirming(null);
      setTyped('');
    });
  return (
    <section className="panel" data-testid="retired-groups">
      <h3 className="subhead">Renamed groups still granting access</h3>
      {list === null ? (
        <Button onClick={() => void run(() => DirectoryService.RetiredGroups(directoryId))} isLoading={busy} testId="retired-check">
          Check for retired groups
        </Button>
      ) : list.length === 0 ? (
        <p className="muted" data-testid="retired-none">
          No retired group holds members.
        </p>
      ) : (
        <SectionMessage appearance="warning" title={`${list.length} retired group(s) still hold members`}>
          <ul className="plain">
            {list.map((r) => (
              <li key={r.scimId} data-testid={`retired-${r.name}`}>
                <strong>{r.name}</strong> (renamed to {r.currentGroup}) still grants its access to {formatCount(r.members)} people.{' '}
                {confirming === r.scimId ? (
                  <span className="row-gap">
                    <Textfield
                      value={typed}
                      onChange={(e) => setTyped(e.currentTarget.value)}
                      placeholder={`Type ${r.name} to confirm`}
                      aria-label="Group name to confirm"
                      testId="retired-confirm-name"
                    />
                    <Button
                      appearance="danger"
                      isDisabled={typed.trim() !== r.name}
                      isLoading={busy}
                      onClick={() => void run(() => DirectoryService.FinishRename(directoryId, r.scimId, typed))}
                      testId="retired-finish-confirm"
                    >
                      Remove its members and delete it
                    </Button>
                  </span>
                ) : (
                  <Button onClick={() => setConfirming(r.scimId)} testId="retired-finish">
                    Finish rename
                  </Button>
                )}
              </li>
            ))}
          </ul>
          <p className="small">Move the group's product access to the new group first: deleting it removes the access and permissions it grants.</p>
        </SectionMessage>
      )}
      {error && <ErrorMessage error={error} />}
    </section>
  );
}
