import Spinner from '@atlaskit/spinner';
import { useEffect, useState, type DependencyList } from 'react';
import { toAppError, type AppError } from '../api';

/** What a screen shows while its data loads: a spinner named for what it waits on. */
export function Loading({ label }: { label: string }) {
  return (
    <div className="center-pad">
      <Spinner label={label} />
    </div>
  );
}

/**
 * Loads once per change of deps: value (null until the first answer) or error. The answer of a
 * load the screen has left, or started again, is dropped; the last value stays until the next.
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): { value: T | null; error: AppError | null } {
  const [state, setState] = useState<{ value: T | null; error: AppError | null }>({ value: null, error: null });
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setState({ value, error: null }),
      (e) => live && setState((s) => ({ value: s.value, error: toAppError(e) })),
    );
    return () => {
      live = false;
    };
    // The caller names what the load depends on, as for useEffect.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}
