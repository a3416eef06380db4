// The frontend's one door to the Go backend. Tests replace the generated bindings with vi.mock,
// so every screen imports them from here and from nowhere else.
import * as appBindings from '../../wailsjs/go/app/AppService';
import * as directoryBindings from '../../wailsjs/go/app/DirectoryService';
import * as reportBindings from '../../wailsjs/go/app/ReportService';
import * as syncBindings from '../../wailsjs/go/app/SyncService';
import type { app } from '../../wailsjs/go/models';
import * as runtime from '../../wailsjs/runtime/runtime';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => Promise<any>;

/**
 * Makes every binding reject instead of throwing: outside Wails (a plain browser, a broken bridge)
 * the generated code throws synchronously. The module is read at call time, so tests' mocks apply.
 */
function rejecting<T extends Record<string, Fn>>(m: T): T {
  const out: Record<string, Fn> = {};
  for (const k of Object.keys(m)) out[k] = (...args) => Promise.resolve().then(() => m[k](...args));
  return out as T;
}

export const AppService = rejecting(appBindings);
export const DirectoryService = rejecting(directoryBindings);
export const SyncService = rejecting(syncBindings);
export const ReportService = rejecting(reportBindings);

/**
 * Subscribes to a backend event, with its payload typed by the Go struct the backend emits
 * (app.Events); without the Wails runtime (tests, a plain browser) it is a no-op.
 */
export function EventsOn<K extends keyof app.Events>(name: K, cb: (data: app.Events[K]) => void): () => void {
  try {
    return runtime.EventsOn(name, cb as (...data: unknown[]) => void) ?? (() => {});
  } catch {
    return () => {};
  }
}
/** Opens a documentation page in the system browser (window.open outside Wails). */
export function openExternal(url: string): void {
  try {
    runtime.BrowserOpenURL(url);
  } catch {
    window.open(url, '_blank', 'noopener');
  }
}
export type { alert, app, atlassian, engine } from '../../wailsjs/go/models';
// Values, not only types: they hold the TypeScript enums of the Go constants (app.Enums).
export { apperr, backend, report } from '../../wailsjs/go/models';

/** What a bound Go method rejects with (app.FormatError on the Go side). */
export interface AppError {
  code: string;
  message: string;
  action?: string;
}

function isAppError(v: unknown): v is AppError {
  return typeof v === 'object' && v !== null && typeof (v as AppError).code === 'string' && typeof (v as AppError).message === 'string';
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

/** The events the backend emits: each name is a key of app.Events, whose field is its payload. */
export const events = {
  progress: 'sync:progress',
  done: 'sync:done',
  applied: 'sync:applied', // a sync started by Apply ended
  deviceCode: 'auth:devicecode',
  schedule: 'sync:schedule',
} as const satisfies Record<string, keyof app.Events>;

// The payloads, generated from Go (app.Events): never written again here.
export type DeviceCode = app.Events['auth:devicecode'];
export type Progress = app.Events['sync:progress'];
export type ScheduleNotice = app.Events['sync:schedule'];
export type Applied = app.Events['sync:applied'];
