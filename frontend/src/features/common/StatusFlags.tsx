import { useEffect, useRef } from 'react';
import { useFlags, type FlagSpec } from '../../lib/flags';
import { DirectoryService, EventsOn, events, type backend } from '../api';

// How often the flags re-read the directories' status between events: sign-ins and API keys
// expire with time, not with an event. 30 s is a List call (one keychain read per directory)
// twice a minute.
export const statusPollMs = 30000;

/**
 * The flag a directory's status raises, if any (internal/backend/status.go is the one source):
 * what needs the admin is an error that stays, a cancelled sync an info that goes by itself.
 * A directory that never synced is not flagged for "not signed in": the add flow's sign-in step
 * says it already.
 */
export function statusFlag(d: backend.Directory): Omit<FlagSpec, 'key'> | null {
  const why = d.statusReason || undefined;
  switch (d.status) {
    case 'blocked':
      return { kind: 'error', title: `${d.name}: the last sync needs your attention`, description: why };
    case 'key_expired':
      return { kind: 'error', title: `${d.name}: the directory API key has expired`, description: why };
    case 'not_signed_in':
      return d.lastRun ? { kind: 'error', title: `${d.name}: not signed in to Microsoft`, description: why } : null;
    case 'cancelled':
      return { kind: 'info', title: `${d.name}: sync cancelled`, description: why };
    default:
      return null;
  }
}

/**
 * Raises and clears the flags of every directory's status: one flag per directory, raised when
 * its status changes into a condition, gone when the condition clears. A dismissed error stays
 * dismissed until the status changes again. Only a change raises a flag, so a cancelled sync
 * found at start (old news) does not flag.
 */
export function StatusFlags() {
  const flags = useFlags();
  const last = useRef(new Map<string, string>());
  useEffect(() => {
    let live = true;
    const read = () =>
      DirectoryService.List().then(
        (ds) => {
          if (!live) return;
          const seen = new Set<string>();
          for (const d of ds ?? []) {
            seen.add(d.id);
            const before = last.current.get(d.id);
            const signature = `${d.status}:${d.lastRun ? 1 : 0}`;
            if (before === signature) continue;
            last.current.set(d.id, signature);
            const key = `status:${d.id}`;
            const f = statusFlag(d);
            if (!f) flags.clear(key);
            else if (before !== undefined || f.kind === 'error') flags.raise({ key, ...f });
          }
          for (const id of [...last.current.keys()]) {
            if (!seen.has(id)) {
              last.current.delete(id);
              flags.clear(`status:${id}`);
            }
          }
        },
        () => {}, // the pages show their own read errors; a flag per poll would pile up
      );
    void read();
    const t = setInterval(read, statusPollMs);
    const offs = [events.done, events.applied, events.schedule].map((e) => EventsOn(e, () => void read()));
    return () => {
      live = false;
      clearInterval(t);
      offs.forEach((off) => off());
    };
  }, [flags]);
  return null;
}
