import type { Activation } from '../activation/activation.state';
import { toMillis } from '../activation/time';
import type { ReadinessFinding } from './readiness';

/**
 * Reprotection after a failback: once a disaster failed back, protection resumes at the original
 * site, and each server owes a NEW FULL restore point (the backup chain of the recovery site does
 * not protect the original site). Due from the failback until one is taken.
 */
export interface ReprotectionDue {
  serverId: string;
  hostname: string;
  activationId: string;
  dueSince: string;
}

export interface ReprotectionStatus extends ReprotectionDue {
  /** The first full restore point taken since it was due, or null: still due. */
  fullRestorePointAt: string | null;
}

/** The reprotection each server owes after its latest failback. */
export function reprotectionsDue(activations: readonly Activation[]): ReprotectionDue[] {
  const latest = new Map<string, ReprotectionDue>();
  for (const a of activations) {
    if (!a.reprotection) continue;
    for (const s of a.reprotection.servers) {
      const known = latest.get(s.serverId);
      if (known && toMillis(known.dueSince) >= toMillis(a.reprotection.dueSince)) continue;
      latest.set(s.serverId, { ...s, activationId: a.id, dueSince: a.reprotection.dueSince });
    }
  }
  return [...latest.values()];
}

/** The first full restore point taken at or after `dueSince`, among a server's restore points. */
export function fullRestorePointSince(
  dueSince: string,
  points: readonly { kind: 'full' | 'incremental'; takenAt: string }[],
): string | null {
  const since = toMillis(dueSince);
  const full = points
    .filter((p) => p.kind === 'full' && toMillis(p.takenAt) >= since)
    .sort((a, b) => toMillis(a.takenAt) - toMillis(b.takenAt));
  return full[0]?.takenAt ?? null;
}

/** `reprotection-due` warning of the readiness check, until each server has its new full restore point. */
export function reprotectionFindings(statuses: readonly ReprotectionStatus[]): ReadinessFinding[] {
  const due = statuses.filter((s) => s.fullRestorePointAt === null);
  if (!due.length) return [];
  return [
    {
      severity: 'warning',
      code: 'reprotection-due',
      message: `${due.length} server(s) failed back to the original site have no new full restore point yet (protection resumes with it): ${due
        .map((s) => `${s.hostname} (due since ${s.dueSince})`)
        .join(', ')}`,
      servers: due.map((s) => s.hostname),
    },
  ];
}
