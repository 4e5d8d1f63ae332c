import type { ActivationCommand, RequestFailback } from '../activation.commands';
import type { ActivationEvent } from '../activation.events';
import {
  alice,
  always,
  authorised,
  awaitingDisaster,
  bob,
  bringUp,
  confirmationAt,
  id,
  networkUp,
  restoreAll,
  server,
  t,
} from './fixtures';
import { play } from './given-when-then';

/** A chain and a lone server:  dc ← db ← app,  lone. */
export const chain = [
  server('dc'),
  server('db', { dependsOn: ['dc'] }),
  server('app', { dependsOn: ['db'] }),
  server('lone'),
];
export const CHAIN = ['dc', 'db', 'app', 'lone'];

/** A disaster of `estate`, confirmed by Bob, every server ok at the recovery site by t(40). */
export const disasterCompleted = (estate = chain): ActivationEvent[] =>
  play(awaitingDisaster({ estate, window: always }), [
    confirmBy(t(1)),
    ...networkUp(t(2)),
    ...estate.flatMap((s, i) => [
      ...restoreAll(s.hostname, t(2), t(10)),
      ...bringUp(s.hostname, t(10 + 5 * i), t(12 + 5 * i), t(14 + 5 * i)),
    ]),
  ]);

export const confirmBy = (at: string, email = bob.email, codeValid = true): ActivationCommand => ({
  type: 'ConfirmActivation',
  data: { email, codeValid, authorisedPersons: authorised, at },
});

export const requestFailback = (
  at: string,
  overrides: Partial<RequestFailback['data']> = {},
): ActivationCommand => ({
  type: 'RequestFailback',
  data: {
    by: alice,
    reason: 'site restored',
    originalSite: 'up',
    confirmation: confirmationAt(at),
    at,
    ...overrides,
  },
});

/** A failback confirmed at t(101) (asked by Alice at t(100), confirmed by Bob). */
export const failingBack = (events = disasterCompleted(), attempt = 1): ActivationEvent[] =>
  play(events, [requestFailback(t(100 * attempt)), confirmBy(t(100 * attempt + 1))]);

const GIB = 2 ** 30;

/** The initial copy of a server (synced at once when `synced`). */
export const copied = (host: string, at: string, synced = true, attempt = 1): ActivationCommand => ({
  type: 'RecordReverseSyncProgress',
  data: {
    serverId: id(host),
    attempt,
    part: 'initial-copy',
    delta: 0,
    sentBytes: 200 * GIB,
    changedBytes: 3 * GIB,
    pendingBytes: synced ? 0 : 2 * GIB,
    synced,
    at,
  },
});
export const delta = (
  host: string,
  n: number,
  at: string,
  synced = true,
  attempt = 1,
): ActivationCommand => ({
  type: 'RecordReverseSyncProgress',
  data: {
    serverId: id(host),
    attempt,
    part: 'delta',
    delta: n,
    sentBytes: 2 * GIB,
    changedBytes: 5 * GIB,
    pendingBytes: synced ? GIB / 4 : GIB,
    synced,
    at,
  },
});
export const stopStarted = (host: string, at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordServerStopStarted',
  data: { serverId: id(host), attempt, at },
});
export const stoppedAtRecovery = (host: string, at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordServerStoppedAtRecovery',
  data: { serverId: id(host), attempt, at },
});
export const finalDelta = (host: string, at: string, attempt = 1, pendingBytes = 0): ActivationCommand => ({
  type: 'RecordFinalDelta',
  data: { serverId: id(host), attempt, sentBytes: GIB / 2, changedBytes: 5.5 * GIB, pendingBytes, at },
});
export const startedAtOriginal = (
  host: string,
  at: string,
  attempt = 1,
  health: 'ok' | 'warning' | 'failed' = 'ok',
): ActivationCommand => ({
  type: 'RecordServerStartedAtOriginal',
  data: { serverId: id(host), attempt, health, detail: null, at },
});
export const failbackStepFailed = (
  host: string,
  step: 'reverse-sync' | 'stop' | 'final-delta' | 'start-at-original',
  at: string,
  attempt = 1,
): ActivationCommand => ({
  type: 'RecordFailbackStepFailed',
  data: { serverId: id(host), attempt, step, reason: 'storage path down', at },
});
export const resumed = (host: string, at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordServerResumedAtRecovery',
  data: { serverId: id(host), attempt, at },
});
export const resumeFailed = (host: string, at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordServerResumeFailed',
  data: { serverId: id(host), attempt, reason: 'gave up after 10 attempts: no host has room', at },
});
export const reconnectFailed = (at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordUsersReconnectFailed',
  data: { attempt, reason: 'gave up after 10 attempts: VPN gateway unreachable', at },
});
export const reconnected = (at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordUsersReconnected',
  data: { attempt, at },
});

/** Stop, then final delta of one server. */
export const cutOver = (host: string, at: string, attempt = 1): ActivationCommand[] => [
  stopStarted(host, at, attempt),
  stoppedAtRecovery(host, at, attempt),
  finalDelta(host, at, attempt),
];

/**
 * The whole way back of the chain, in the order the workflow asks for it: every server synced,
 * stops downstream first (app, db, dc; lone any time), starts upstream first, users reconnected.
 */
export const chainBack = (attempt = 1): ActivationCommand[] => [
  ...CHAIN.map((h) => copied(h, t(110), true, attempt)),
  ...cutOver('app', t(120), attempt),
  ...cutOver('lone', t(120), attempt),
  ...cutOver('db', t(121), attempt),
  ...cutOver('dc', t(122), attempt),
  startedAtOriginal('dc', t(130), attempt),
  startedAtOriginal('lone', t(130), attempt),
  startedAtOriginal('db', t(135), attempt),
  startedAtOriginal('app', t(140), attempt),
  reconnected(t(145), attempt),
];
