// The frontend's one door to the Go backend. Screens import the generated bindings through
// this module (tests replace them with vi.mock) and turn every rejection into an AppError.
export * as AppService from '../../wailsjs/go/app/AppService';
export type { app } from '../../wailsjs/go/models';

/** What a bound Go method rejects with (app.FormatError on the Go side). */
export interface AppError {
  code: string;
  message: string;
  action?: string;
}

function isAppError(v: unknown): v is AppError {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as AppError).code === 'string' &&
    typeof (v as AppError).message === 'string'
  );
}

/**
 * Normalizes anything a call can reject with. Wails itself rejects with a plain string when it
 * cannot parse the arguments, and a JS bug throws an Error; both become code "internal".
 */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  if (e instanceof Error) return { code: 'internal', message: e.message };
  if (typeof e === 'string' && e !== '') return { code: 'internal', message: e };
  return { code: 'internal', message: 'unexpected error' };
}

/**
 * Runs a binding call so that every failure arrives as a rejected promise: outside Wails (a
 * plain browser, a broken bridge) the generated code throws synchronously instead.
 */
export function backend<T>(call: () => Promise<T>): Promise<T> {
  return Promise.resolve().then(call);
}
