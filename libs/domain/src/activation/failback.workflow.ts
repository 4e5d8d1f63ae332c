import type { Activation } from './activation.state';
import {
  cutOverOpen,
  isSettled,
  needsResume,
  stoppedOrStaying,
  type FailbackServerState,
} from './failback.state';
import { graphOf } from './graph';

/**
 * The failback part of the activation workflow (see `whatIsDue`), pure. Once four eyes confirmed it:
 * 1. every server is synchronised back to the original site (initial copy, then deltas) while the
 *    business runs at the recovery site;
 * 2. once every server is synced, the cut-over: a server stops at the recovery site only after the
 *    servers that depend on it (downstream first), then its final delta is sent, then it starts at
 *    the original site once the servers it depends on are back there (upstream first);
 * 3. a server that failed, and those held because of it, run again at the recovery site if they
 *    had been stopped there;
 * 4. users reconnect to the original site once every server is settled;
 * 5. the recovery site is released (`failback` step) only when every server is back.
 */
export const FAILBACK_SERVER_STEP_KINDS = [
  'reverse-sync',
  'cut-over-stop',
  'final-delta',
  'start-at-original',
  'resume-at-recovery',
] as const;
export type FailbackServerStepKind = (typeof FAILBACK_SERVER_STEP_KINDS)[number];

export const isFailbackServerStepKind = (kind: string): kind is FailbackServerStepKind =>
  (FAILBACK_SERVER_STEP_KINDS as readonly string[]).includes(kind);

const neighbours = (s: Activation, x: FailbackServerState, direction: 'upstream' | 'downstream') => {
  const ids = graphOf(s)[direction].get(x.serverId) ?? [];
  return s.failback!.servers.filter((y) => ids.includes(y.serverId));
};

/** The step a server going back needs next, if any. */
export function failbackServerStep(s: Activation, x: FailbackServerState): FailbackServerStepKind | null {
  if (s.status !== 'failing-back') return null;
  switch (x.phase) {
    case 'pending':
    case 'syncing':
      return 'reverse-sync';
    case 'synced':
      return cutOverOpen(s) && neighbours(s, x, 'downstream').every(stoppedOrStaying)
        ? 'cut-over-stop'
        : null;
    case 'stopping':
      return 'cut-over-stop';
    case 'stopped':
      return 'final-delta';
    case 'final-synced':
      return neighbours(s, x, 'upstream').every((y) => y.phase === 'back') ? 'start-at-original' : null;
    case 'failed':
    case 'held':
      return needsResume(x) ? 'resume-at-recovery' : null;
    case 'back':
    case 'at-recovery':
      return null;
  }
}

/** The failback's server steps due now, with their stable keys (the failback's attempt in each). */
export function failbackServerSteps(s: Activation) {
  const fb = s.failback;
  if (!fb || s.status !== 'failing-back') return [];
  return fb.servers.flatMap((x) => {
    const kind = failbackServerStep(s, x);
    return kind
      ? [
          {
            kind,
            key: `${s.id}.${x.serverId}.${kind}.${fb.attempt}`,
            serverId: x.serverId,
            attempt: fb.attempt,
          },
        ]
      : [];
  });
}

/** Users reconnect to the original site once every server is settled and some came back (its attempt), unless that failed for good. */
export function reconnectAttempt(s: Activation): number | null {
  const fb = s.failback;
  if (!fb || fb.legacy || s.status !== 'failing-back' || fb.reconnectedAt || fb.reconnectFailure) return null;
  return fb.servers.every(isSettled) && fb.servers.some((x) => x.phase === 'back') ? fb.attempt : null;
}

/** The recovery site is released once every server is back and the users reconnected (its attempt). */
export function releaseAttempt(s: Activation): number | null {
  const fb = s.failback;
  if (!fb || s.failedBackAt) return null;
  if (fb.legacy) return 1;
  return s.status === 'failing-back' && fb.reconnectedAt && fb.servers.every((x) => x.phase === 'back')
    ? fb.attempt
    : null;
}

/** Is this failback server step still due (the worker asks before each side effect)? */
export function isFailbackStepStillDue(
  s: Activation,
  step: { kind: FailbackServerStepKind; serverId: string | null; attempt: number },
): boolean {
  const fb = s.failback;
  const x = fb?.servers.find((y) => y.serverId === step.serverId);
  return !!fb && !!x && fb.attempt === step.attempt && failbackServerStep(s, x) === step.kind;
}
