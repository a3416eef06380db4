import Flag, { AutoDismissFlag, FlagGroup } from '@atlaskit/flag';
import StatusErrorIcon from '@atlaskit/icon/core/status-error';
import StatusSuccessIcon from '@atlaskit/icon/core/status-success';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { token } from '@atlaskit/tokens';
import type { AppError } from '../features/api';

interface FlagItem {
  id: number;
  kind: 'error' | 'success';
  title: string;
  description?: string;
}

interface Flags {
  /** Shows a bound call's failure the Atlassian way: the message, then what to do. */
  showError: (title: string, e: AppError) => void;
  showSuccess: (title: string, description?: string) => void;
}

const FlagsContext = createContext<Flags>({ showError: () => {}, showSuccess: () => {} });

export function useFlags(): Flags {
  return useContext(FlagsContext);
}

let nextId = 1;

// At most this many flags show at once: a new one pushes out the oldest instead of piling up.
const maxFlags = 3;

export function FlagsProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<FlagItem[]>([]);
  const dismiss = useCallback((id: number | string) => setItems((xs) => xs.filter((x) => x.id !== id)), []);
  const flags = useMemo<Flags>(
    () => ({
      showError: (title, e) =>
        setItems((xs) => [{ id: nextId++, kind: 'error' as const, title, description: [e.message, e.action].filter(Boolean).join(' ') + ` (${e.code})` }, ...xs].slice(0, maxFlags)),
      showSuccess: (title, description) => setItems((xs) => [{ id: nextId++, kind: 'success' as const, title, description }, ...xs].slice(0, maxFlags)),
    }),
    [],
  );
  return (
    <FlagsContext.Provider value={flags}>
      {children}
      <FlagGroup onDismissed={dismiss}>
        {items.map((f) => {
          // Success dismisses itself (Atlaskit's 8 s); an error stays until it is read.
          const F = f.kind === 'success' ? AutoDismissFlag : Flag;
          return (
          <F
            key={f.id}
            id={f.id}
            title={f.title}
            description={f.description}
            icon={
              f.kind === 'error' ? (
                <StatusErrorIcon label="Error" color={token('color.icon.danger')} />
              ) : (
                <StatusSuccessIcon label="Success" color={token('color.icon.success')} />
              )
            }
          />
          );
        })}
      </FlagGroup>
    </FlagsContext.Provider>
  );
}
