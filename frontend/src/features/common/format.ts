import { report } from '../api';

// Small formatting helpers shared by the screens. Everything returns plain text.

export function formatDate(iso?: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2000) return '—';
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatDuration(ms?: number): string {
  if (ms === undefined || ms === null || ms < 0 || Number.isNaN(ms)) return '—';
  if (ms < 1) return 'under 1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n?: number): string {
  return (n ?? 0).toLocaleString('en-US');
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Operation actions as the screens name them: every Go action (report.Actions, bound with EnumBind). */
export const actionLabel: Record<report.Action, string> = {
  [report.Action.CreateUser]: 'Create user',
  [report.Action.UpdateUser]: 'Update user',
  [report.Action.ReactivateUser]: 'Reactivate user',
  [report.Action.DeactivateUser]: 'Deactivate user',
  [report.Action.SuspendUser]: "Suspend user's access",
  [report.Action.RestoreUser]: "Restore user's access",
  [report.Action.AdoptUser]: 'Adopt existing user',
  [report.Action.CreateGroup]: 'Create group',
  [report.Action.AdoptGroup]: 'Take over group',
  [report.Action.ConflictGroup]: 'Group conflict',
  [report.Action.RetireGroup]: 'Retire group',
  [report.Action.DeleteGroup]: 'Delete group',
  [report.Action.AddMember]: 'Add to group',
  [report.Action.RemoveMember]: 'Remove from group',
};

export function labelOf(action: string): string {
  return actionLabel[action as report.Action] ?? action.replace(/_/g, ' ');
}

export interface CountLike {
  object: string;
  action: string;
  result: string;
  n: number;
}

/**
 * Sums the counts that match every field given: the one tally of the screens, over the cells
 * Go tallied (report.Tally). A membership is a count whose object is "membership": Go decides
 * it (report.Action.IsMembership), the screens never list the membership actions themselves.
 */
export function sumBy(counts: CountLike[] | undefined, want: { object?: string; action?: string; result?: string }): number {
  return (counts ?? [])
    .filter((c) => (!want.object || c.object === want.object) && (!want.action || c.action === want.action) && (!want.result || c.result === want.result))
    .reduce((a, c) => a + c.n, 0);
}

/** The actions of counts that change memberships (as Go counted them), each once. */
export function membershipActions(counts: CountLike[] | undefined): string[] {
  return [...new Set((counts ?? []).filter((c) => c.object === 'membership').map((c) => c.action))];
}

export function secondsLeft(s: number): string {
  if (!(s >= 0) || !Number.isFinite(s)) return 'estimating…';
  if (s < 60) return `about ${Math.max(1, Math.round(s))} s left`;
  return `about ${Math.round(s / 60)} min left`;
}

/** An apply's done and not-done operations in words: "12 of 359 changes made, 347 not made". */
export function doneText(r: { done?: number; notDone?: number; failed?: number }): string {
  const done = r.done ?? 0;
  const notDone = r.notDone ?? 0;
  const failed = r.failed ?? 0;
  const total = done + notDone;
  let s = `${formatCount(done)} of ${plural(total, 'change')} made`;
  if (failed > 0) s += ` (${formatCount(failed)} failed)`;
  if (notDone > 0) s += `, ${formatCount(notDone)} not made`;
  return s;
}
