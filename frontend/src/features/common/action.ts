import { useState } from 'react';
import { toAppError, type AppError } from '../api';

/**
 * What a button starts: busy while its call runs (the button shows it loading), then the error
 * it ended with, or none. run clears the last error first, and resolves true when the call
 * succeeded (the settings' save answers the page's Sync now with it). setError lets a screen
 * show or clear another error in the same place.
 */
export function useAction(): {
  busy: boolean;
  error: AppError | null;
  setError: (e: AppError | null) => void;
  run: (call: () => Promise<void>) => Promise<boolean>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const run = async (call: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      return true;
    } catch (e) {
      setError(toAppError(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
