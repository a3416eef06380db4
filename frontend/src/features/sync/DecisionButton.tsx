import Button from '@atlaskit/button/new';
import type { ReactNode } from 'react';
import type { backend } from '../api';

// DecisionButton is one of a conflict's decisions (take over, skip, retry): primary when it is
// the recorded decision, spinning while it is being saved, and disabled while any decision is.
export function DecisionButton({
  c,
  decision,
  busy,
  decide,
  testId,
  children,
}: {
  c: backend.Conflict;
  decision: string;
  busy: string | null;
  decide: (c: backend.Conflict, decision: string) => Promise<void>;
  testId: string;
  children: ReactNode;
}) {
  return (
    <Button
      appearance={c.decision === decision ? 'primary' : 'default'}
      onClick={() => void decide(c, decision)}
      isLoading={busy === c.groupEntraId + decision}
      isDisabled={busy !== null}
      testId={testId}
    >
      {children}
    </Button>
  );
}
