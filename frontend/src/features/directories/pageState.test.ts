import { describe, expect, it } from 'vitest';
import type { backend } from '../api';
import { initialPageState, pageReducer, type PageState } from './pageState';

const plan = { planId: 'p1' } as backend.PlanSummary;
const run = { runId: 'r1', directoryId: 'd1' } as backend.RunSummary;

function after(s: PageState, ...actions: Parameters<typeof pageReducer>[1][]): PageState {
  return actions.reduce(pageReducer, s);
}

describe('the directory page reducer', () => {
  it('shows a sync started elsewhere as running, and keeps it running until it finishes', () => {
    const s = after(initialPageState('overview'), { type: 'loaded', dir: { id: 'd1', status: 'syncing' } as backend.Directory });
    expect(s.running).toBe(true);
    expect(after(s, { type: 'loaded', dir: { id: 'd1', status: 'enabled' } as backend.Directory }).running).toBe(true);
    expect(after(s, { type: 'finished', run, error: null }).running).toBe(false);
  });

  it('opens the confirmation over a preview made by Sync now, not by Preview changes', () => {
    const base = after(initialPageState('settings'), { type: 'previewStarted' });
    expect(base.previewing).toBe(true);
    expect(after(base, { type: 'previewMade', plan, thenConfirm: true }).confirming).toBe(true);
    const s = after(base, { type: 'previewMade', plan, thenConfirm: false }, { type: 'previewEnded' });
    expect(s).toMatchObject({ plan, confirming: false, previewing: false, stale: false, refreshKey: 1 });
  });

  it('marks the plan stale when the settings are saved after it, and only then', () => {
    expect(after(initialPageState('settings'), { type: 'settingsSaved' }).stale).toBe(false);
    const s = after(initialPageState('settings'), { type: 'previewMade', plan, thenConfirm: false }, { type: 'settingsSaved' });
    expect(s.stale).toBe(true);
    expect(after(s, { type: 'planReplaced', plan: { planId: 'p2' } as backend.PlanSummary }).stale).toBe(false);
  });

  it('applies a plan once: applying clears the plan, the last result and an older preview error, and opens the overview', () => {
    const s = after(
      initialPageState('preview'),
      { type: 'previewMade', plan, thenConfirm: true },
      { type: 'finished', run, error: null },
      { type: 'previewFailed', error: { code: 'internal', message: 'x' } },
      { type: 'progress', progress: { directoryId: 'd1', runId: 'r0', phase: 'users', done: 1, total: 2, rate: 1, etaSeconds: 1 } },
      { type: 'applyStarted' },
    );
    expect(s).toMatchObject({ plan: null, result: null, previewError: null, confirming: false, running: true, tab: 'overview', progress: {} });
  });

  it('keeps the last progress of each phase', () => {
    const p = { directoryId: 'd1', runId: 'r1', rate: 1, etaSeconds: 1, total: 10 };
    const s = after(
      initialPageState('overview'),
      { type: 'progress', progress: { ...p, phase: 'users', done: 1 } },
      { type: 'progress', progress: { ...p, phase: 'users', done: 5 } },
      { type: 'progress', progress: { ...p, phase: 'add_members', done: 2 } },
    );
    expect(Object.fromEntries(Object.entries(s.progress).map(([k, v]) => [k, v.done]))).toEqual({ users: 5, add_members: 2 });
  });

  it('ends the cancel when the sync finishes or the cancel fails', () => {
    const s = after(initialPageState('overview'), { type: 'applyStarted' }, { type: 'cancelStarted' });
    expect(s.canceling).toBe(true);
    expect(after(s, { type: 'cancelFailed' }).canceling).toBe(false);
    const f = after(s, { type: 'finished', run: null, error: { code: 'canceled', message: 'cancelled' } });
    expect(f).toMatchObject({ canceling: false, running: false, result: { run: null, error: { code: 'canceled' } }, refreshKey: 1 });
  });
});
