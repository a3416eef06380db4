import type { AppError, backend, Progress } from '../api';
import type { DirectoryTab } from '../common/nav';

/**
 * The directory page's state in one place. A preview, a sync and its end each change several
 * fields together (applying clears the plan, the result and the preview error, and opens the
 * overview); as one reducer those steps cannot be half-done by a forgotten setter.
 */
export interface PageState {
  dir: backend.Directory | null;
  account: backend.Account | null | undefined; // undefined: not asked yet; null: not signed in
  loadError: AppError | null;
  tab: DirectoryTab;
  plan: backend.PlanSummary | null;
  stale: boolean; // the settings were saved after the plan was made: it cannot be applied
  previewing: boolean;
  previewError: AppError | null;
  confirming: boolean;
  running: boolean;
  canceling: boolean;
  progress: Record<string, Progress>; // by phase
  result: { run: backend.RunSummary | null; error: AppError | null } | null;
  refreshKey: number; // bumped when history and troubleshooting should read again
  disconnecting: boolean;
  unsaved: { thenConfirm: boolean } | null; // the "save your settings first?" question
}

export type PageAction =
  | { type: 'loaded'; dir: backend.Directory }
  | { type: 'loadFailed'; error: AppError }
  | { type: 'account'; account: backend.Account | null }
  | { type: 'tab'; tab: DirectoryTab }
  | { type: 'previewStarted' }
  | { type: 'previewMade'; plan: backend.PlanSummary; thenConfirm: boolean }
  | { type: 'previewFailed'; error: AppError }
  | { type: 'previewEnded' }
  | { type: 'planReplaced'; plan: backend.PlanSummary } // a conflict decision replanned
  | { type: 'settingsSaved' }
  | { type: 'confirm'; open: boolean }
  | { type: 'applyStarted' }
  | { type: 'progress'; progress: Progress }
  | { type: 'runRecorded' } // sync:done: a run was written
  | { type: 'finished'; run: backend.RunSummary | null; error: AppError | null }
  | { type: 'cancelStarted' }
  | { type: 'cancelFailed' }
  | { type: 'dismissResult' }
  | { type: 'disconnect'; open: boolean }
  | { type: 'unsaved'; value: { thenConfirm: boolean } | null };

export function initialPageState(tab: DirectoryTab): PageState {
  return {
    dir: null,
    account: undefined,
    loadError: null,
    tab,
    plan: null,
    stale: false,
    previewing: false,
    previewError: null,
    confirming: false,
    running: false,
    canceling: false,
    progress: {},
    result: null,
    refreshKey: 0,
    disconnecting: false,
    unsaved: null,
  };
}

export function pageReducer(s: PageState, a: PageAction): PageState {
  switch (a.type) {
    case 'loaded':
      // A sync started elsewhere (the schedule, another window) shows as running; the end of
      // one this page started is said by 'finished', never by a reload.
      return { ...s, dir: a.dir, running: s.running || a.dir.status === 'syncing' };
    case 'loadFailed':
      return { ...s, loadError: a.error };
    case 'account':
      return { ...s, account: a.account };
    case 'tab':
      return { ...s, tab: a.tab };
    case 'previewStarted':
      return { ...s, previewing: true, previewError: null };
    case 'previewMade':
      return { ...s, plan: a.plan, stale: false, refreshKey: s.refreshKey + 1, confirming: s.confirming || a.thenConfirm };
    case 'previewFailed':
      return { ...s, previewError: a.error };
    case 'previewEnded':
      return { ...s, previewing: false };
    case 'planReplaced':
      return { ...s, plan: a.plan, stale: false };
    case 'settingsSaved':
      return s.plan ? { ...s, stale: true } : s;
    case 'confirm':
      return { ...s, confirming: a.open };
    case 'applyStarted':
      // A plan is applied once; an older preview's failure says nothing about this sync.
      return { ...s, confirming: false, running: true, progress: {}, result: null, previewError: null, tab: 'overview', plan: null };
    case 'progress':
      return { ...s, progress: { ...s.progress, [a.progress.phase]: a.progress } };
    case 'runRecorded':
      return { ...s, refreshKey: s.refreshKey + 1 };
    case 'finished':
      return { ...s, result: { run: a.run, error: a.error }, running: false, canceling: false, refreshKey: s.refreshKey + 1 };
    case 'cancelStarted':
      return { ...s, canceling: true };
    case 'cancelFailed':
      return { ...s, canceling: false };
    case 'dismissResult':
      return { ...s, result: null };
    case 'disconnect':
      return { ...s, disconnecting: a.open };
    case 'unsaved':
      return { ...s, unsaved: a.value };
  }
}
