import Flag, { FlagGroup } from '@atlaskit/flag';
import InformationIcon from '@atlaskit/icon/core/status-information';
import StatusErrorIcon from '@atlaskit/icon/core/status-error';
import StatusSuccessIcon from '@atlaskit/icon/core/status-success';
import StatusWarningIcon from '@atlaskit/icon/core/status-warning';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { token } from '@atlaskit/tokens';
import type { AppError } from '../features/api';

export type FlagKind = 'error' | 'warning' | 'info' | 'success';

/** One flag. `key` names the condition it reports: a newer flag of the same key replaces it. */
export interface FlagSpec {
  key: string;
  kind: FlagKind;
  title: string;
  description?: string;
}

interface FlagItem extends FlagSpec {
  id: number;
}

interface Flags {
  /** Shows a bound call's failure the Atlassian way: the message, then what to do, then the code. */
  showError: (title: string, e: AppError, key?: string) => void;
  showSuccess: (title: string, description?: string, key?: string) => void;
  /** Raises the flag of a condition (replacing the condition's earlier flag). */
  raise: (f: FlagSpec) => void;
  /** The condition has cleared: its flag goes, whatever its kind. */
  clear: (key: string) => void;
}

const FlagsContext = createContext<Flags>({ showError: () => {}, showSuccess: () => {}, raise: () => {}, clear: () => {} });

export function useFlags(): Flags {
  return useContext(FlagsContext);
}

let nextId = 1;

/**
 * How long an info or success flag stays: Atlaskit's AutoDismissFlag figure (8 s). The timer is
 * ours, not AutoDismissFlag's: Atlaskit only dismisses the top flag of a group, so a success under
 * an error stayed for good ("Settings saved" never went away).
 */
export const autoDismissMs = 8000;

// Errors and warnings stay until dismissed or until their condition clears; one per condition
// (key) can be shown, and at most this many conditions: the oldest goes first.
const maxFlags = 4;

const stays = (k: FlagKind) => k === 'error' || k === 'warning';

const icons: Record<FlagKind, ReactNode> = {
  error: <StatusErrorIcon label="Error" color={token('color.icon.danger')} />,
  warning: <StatusWarningIcon label="Warning" color={token('color.icon.warning')} />,
  info: <InformationIcon label="Information" color={token('color.icon.information')} />,
  success: <StatusSuccessIcon label="Success" color={token('color.icon.success')} />,
};

export function FlagsProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<FlagItem[]>([]);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  const dismiss = useCallback((id: number | string) => setItems((xs) => xs.filter((x) => x.id !== id)), []);
  const raise = useCallback((f: FlagSpec) => setItems((xs) => [{ ...f, id: nextId++ }, ...xs.filter((x) => x.key !== f.key)].slice(0, maxFlags)), []);
  const flags = useMemo<Flags>(
    () => ({
      showError: (title, e, key) =>
        raise({ key: key ?? title, kind: 'error', title, description: [e.message, e.action].filter(Boolean).join(' ') + ` (Error code: ${e.code})` }),
      showSuccess: (title, description, key) => raise({ key: key ?? title, kind: 'success', title, description }),
      raise,
      clear: (key) => setItems((xs) => (xs.some((x) => x.key === key) ? xs.filter((x) => x.key !== key) : xs)),
    }),
    [raise],
  );
  // One timer per info or success flag, from when it is shown.
  useEffect(() => {
    const live = new Set(items.map((f) => f.id));
    for (const f of items) {
      if (stays(f.kind) || timers.current.has(f.id)) continue;
      timers.current.set(
        f.id,
        setTimeout(() => {
          timers.current.delete(f.id);
          dismiss(f.id);
        }, autoDismissMs),
      );
    }
    for (const [id, t] of timers.current) {
      if (!live.has(id)) {
        clearTimeout(t);
        timers.current.delete(id);
      }
    }
  }, [items, dismiss]);
  useEffect(() => {
    const ts = timers.current;
    return () => ts.forEach((t) => clearTimeout(t));
  }, []);
  return (
    <FlagsContext.Provider value={flags}>
      {children}
      <FlagGroup onDismissed={dismiss}>
        {items.map((f) => (
          <Flag key={f.id} id={f.id} title={f.title} description={f.description} icon={icons[f.kind]} testId={`flag-${f.kind}`} />
        ))}
      </FlagGroup>
    </FlagsContext.Provider>
  );
}
