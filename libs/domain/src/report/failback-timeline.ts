import type { Activation } from '../activation/activation.state';
import type { FailbackServerView } from '../activation/failback.view';
import { round1, toMillis } from '../activation/time';
import type { TimelineSegment } from './report.types';

/**
 * A server's way back on the report's time axis, after its bar of the failover: running at the
 * recovery site (from available to the failback's sync, and from synced to its stop), the reverse
 * sync, then the cut-over (its downtime: stopped at the recovery site until started at the original).
 */
export function failbackTimeline(
  s: Activation,
  x: FailbackServerView,
  availableAt: string | null,
  origin: string,
): TimelineSegment[] {
  const o = toMillis(origin);
  const m = (iso: string) => round1((toMillis(iso) - o) / 60_000);
  const segments: TimelineSegment[] = [];
  const failedAt = x.failure?.at ?? null;
  const add = (phase: TimelineSegment['phase'], start: string | null, end: string | null, failed = false) => {
    if (!start) return;
    const until = end ?? (failed ? failedAt : null);
    segments.push({
      phase,
      startMinutes: m(start),
      endMinutes: until ? m(until) : null,
      outcome: failed ? 'failed' : until ? 'done' : s.status === 'failing-back' ? 'running' : 'cancelled',
    });
  };
  if (availableAt && x.syncStartedAt) add('at-recovery', availableAt, x.syncStartedAt);
  add('reverse-sync', x.syncStartedAt, x.syncedAt, !x.syncedAt && x.failure?.step === 'reverse-sync');
  if (x.syncedAt && (x.stopStartedAt || x.phase === 'synced'))
    add('at-recovery', x.syncedAt, x.stopStartedAt);
  add('cut-over', x.stopStartedAt, x.backAt, !x.backAt && failedAt !== null);
  return segments;
}
