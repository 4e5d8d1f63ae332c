import type { Activation } from './activation.state';
import type { Person } from './activation.types';
import type { FailbackServerPhase, FailbackState, FailbackServerState } from './failback.state';
import { round1, toMillis } from './time';

const GIB = 2 ** 30;
const gib = (bytes: number) => round1(bytes / GIB);
const minutes = (from: string, to: string) => round1((toMillis(to) - toMillis(from)) / 60_000);

export interface FailbackServerView {
  serverId: string;
  hostname: string;
  phase: FailbackServerPhase;
  /** Bytes: the initial copy, the deltas, the final delta; what the server changed at the recovery site; what had not arrived. */
  initialCopyBytes: number;
  deltas: number;
  deltaBytes: number;
  finalDeltaBytes: number;
  changedBytes: number;
  pendingBytes: number | null;
  /** The initial copy: bytes it sends, and when it arrived (null while it runs). */
  copyBytes: number;
  copiedAt: string | null;
  /** Data sent back to the original site, and data lost (changed at the recovery site, never arrived), GiB. */
  dataReturnedGiB: number;
  dataLossGiB: number | null;
  syncStartedAt: string | null;
  syncedAt: string | null;
  stopStartedAt: string | null;
  backAt: string | null;
  /** From its stop at the recovery site to its start at the original site, minutes. */
  downtimeMinutes: number | null;
  health: string | null;
  detail: string | null;
  failure: FailbackServerState['failure'];
  heldBy: string | null;
  resumedAt: string | null;
  /** It could not run again at the recovery site, and why. */
  resumeFailure: FailbackServerState['resumeFailure'];
}

export interface FailbackView {
  attempt: number;
  requestedAt: string;
  requestedBy: Person;
  reason: string | null;
  confirmedBy: (Person & { at: string }) | null;
  excluded: string[];
  reconnectedAt: string | null;
  /** Users could not be reconnected to the original site, and why (what is left: the recovery site is kept). */
  reconnectFailure: FailbackState['reconnectFailure'];
  outcome: FailbackState['outcome'];
  endedAt: string | null;
  left: FailbackState['left'];
  /** Every server of this attempt, then those back in earlier attempts. */
  servers: FailbackServerView[];
  dataReturnedGiB: number;
  dataLossGiB: number;
  /** From the first stop at the recovery site to the users reconnected at the original site (or the last start), minutes. */
  downtimeMinutes: number | null;
}

function serverView(x: FailbackServerState): FailbackServerView {
  const sent = x.initialCopyBytes + x.deltaBytes + x.finalDeltaBytes;
  return {
    serverId: x.serverId,
    hostname: x.hostname,
    phase: x.phase,
    initialCopyBytes: x.initialCopyBytes,
    deltas: x.deltas,
    deltaBytes: x.deltaBytes,
    finalDeltaBytes: x.finalDeltaBytes,
    changedBytes: x.changedBytes,
    pendingBytes: x.pendingBytes,
    copyBytes: x.copyBytes,
    copiedAt: x.copiedAt,
    dataReturnedGiB: gib(sent),
    // Known once the final delta says what was left (nothing, or the failback stops there).
    dataLossGiB: x.finalSyncedAt ? gib(x.pendingBytes ?? 0) : null,
    syncStartedAt: x.syncStartedAt,
    syncedAt: x.syncedAt,
    stopStartedAt: x.stopStartedAt,
    backAt: x.backAt,
    downtimeMinutes: x.stopStartedAt && x.backAt ? minutes(x.stopStartedAt, x.backAt) : null,
    health: x.health,
    detail: x.detail,
    failure: x.failure,
    heldBy: x.heldBy?.hostname ?? null,
    resumedAt: x.resumedAt,
    resumeFailure: x.resumeFailure,
  };
}

/** The failback as the API shows it (and the report reports it), from the activation's state alone. */
export function toFailbackView(s: Activation): FailbackView | null {
  const fb = s.failback;
  if (!fb || fb.legacy) return null;
  const servers = [...fb.servers, ...fb.earlier].map(serverView);
  const hostname = (id: string) => s.servers[s.index[id]]?.snapshot.hostname ?? id;
  const stops = fb.servers.flatMap((x) => (x.stopStartedAt ? [toMillis(x.stopStartedAt)] : []));
  const backs = fb.servers.flatMap((x) => (x.backAt ? [x.backAt] : []));
  const end = fb.reconnectedAt ?? backs.sort().at(-1) ?? null;
  return {
    attempt: fb.attempt,
    requestedAt: fb.requestedAt,
    requestedBy: fb.by,
    reason: fb.reason,
    confirmedBy: fb.confirmedBy,
    excluded: fb.excluded.map(hostname),
    reconnectedAt: fb.reconnectedAt,
    reconnectFailure: fb.reconnectFailure,
    outcome: fb.outcome,
    endedAt: fb.endedAt,
    left: fb.left,
    servers,
    dataReturnedGiB: round1(servers.reduce((sum, x) => sum + x.dataReturnedGiB, 0)),
    dataLossGiB: round1(servers.reduce((sum, x) => sum + (x.dataLossGiB ?? 0), 0)),
    downtimeMinutes: stops.length && end ? minutes(new Date(Math.min(...stops)).toISOString(), end) : null,
  };
}
