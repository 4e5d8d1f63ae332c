import type { ActivationCommand, ConfirmationInput, RequestActivation } from '../activation.commands';
import type { ActivationEvent } from '../activation.events';
import type { ActivationServerSnapshot, ActivationWindow, Person, RequestedScope } from '../activation.types';
import { play } from './given-when-then';

/** Monday 3 June 2024, 08:00 UTC = 10:00 in Paris (inside business hours). */
export const T0 = '2024-06-03T08:00:00.000Z';
/** T0 + minutes, ISO. */
export const t = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

export const ACTIVATION_ID = 'act-1';
export const TENANT_ID = 'tenant-1';
export const alice: Person = { name: 'Alice Martin', email: 'alice@acme.test' };
export const bob: Person = { name: 'Bob Durand', email: 'bob@acme.test' };
export const carol: Person = { name: 'Carol Petit', email: 'carol@acme.test' };
export const mallory: Person = { name: 'Mallory', email: 'mallory@elsewhere.test' };
export const authorised: Person[] = [alice, bob, carol];

export const paris: ActivationWindow = { activationWindow: 'business-hours', timeZone: 'Europe/Paris' };
export const always: ActivationWindow = { activationWindow: '24x7', timeZone: 'Europe/Paris' };

/** The salted hash of the one-time code sent to `email` (each recipient has their own). */
export const codeHashFor = (email: string) =>
  `scrypt$16384$8$1$c2FsdHNhbHQ=$${Buffer.from(`code of ${email}`).toString('base64')}`;
/** The confirmation the api passes at `at`: one code per authorised person, 15 wall minutes on a real-time clock. */
export const confirmationAt = (at: string): ConfirmationInput => ({
  codes: authorised.map((p) => ({ email: p.email, codeHash: codeHashFor(p.email) })),
  expiresAt: new Date(Date.parse(at) + 15 * 60_000).toISOString(),
});
export const confirmation: ConfirmationInput = confirmationAt(T0);

export function server(
  hostname: string,
  overrides: Partial<ActivationServerSnapshot> = {},
): ActivationServerSnapshot {
  return {
    serverId: `id-${hostname}`,
    hostname,
    osFamily: 'windows',
    osName: 'Windows Server',
    osVersion: '2022',
    template: { vcpu: 2, ramGiB: 8 },
    disks: [
      { name: 'c', sizeGiB: 80 },
      { name: 'd', sizeGiB: 120 },
    ],
    dependsOn: [],
    rtoMinutes: 240,
    rpoMinutes: 1440,
    recoveryMethod: 'backup-restore',
    protectionClass: 'drp',
    antiAffinityGroup: null,
    ...overrides,
  };
}

export const id = (hostname: string) => `id-${hostname}`;

/**
 * Diamond plus an unrelated branch:  dc → db1, db2 → app;  and  lone (no dependency).
 * Plus two servers outside the DRP: `bk` (backup-with-tests) and `old` (backup-only).
 */
export const diamond: ActivationServerSnapshot[] = [
  server('dc'),
  server('db1', { dependsOn: ['dc'], osFamily: 'linux', osName: 'Ubuntu', osVersion: '22.04' }),
  server('db2', { dependsOn: ['dc'] }),
  server('app', { dependsOn: ['db1', 'db2'] }),
  server('lone'),
  server('bk', { protectionClass: 'backup-with-tests' }),
  server('old', { protectionClass: 'backup-only' }),
];

export function requestCommand(overrides: Partial<RequestActivation['data']> = {}): RequestActivation {
  return {
    type: 'RequestActivation',
    data: {
      activationId: ACTIVATION_ID,
      tenantId: TENANT_ID,
      type: 'test',
      scope: 'full' as RequestedScope,
      estate: diamond,
      requestedBy: alice,
      reason: 'half-yearly DRP test',
      window: paris,
      at: T0,
      ...overrides,
    },
  };
}

/** Events of a request (as decided). */
export const requested = (overrides: Partial<RequestActivation['data']> = {}): ActivationEvent[] =>
  play([], [requestCommand(overrides)]);

export const runningTest = (overrides: Partial<RequestActivation['data']> = {}) =>
  requested({ type: 'test', ...overrides });
export const awaitingDisaster = (overrides: Partial<RequestActivation['data']> = {}) =>
  requested({
    type: 'disaster',
    confirmation: confirmationAt(overrides.at ?? T0),
    reason: 'fire in the primary site',
    ...overrides,
  });
export const alertRaised = (overrides: Partial<RequestActivation['data']> = {}) =>
  requested({ type: 'alert', reason: 'flood warning', ...overrides });

// --- worker fact commands -------------------------------------------------------------------

export const restoreStarted = (
  host: string,
  at: string,
  attempt = 1,
  takenAt = t(-60),
): ActivationCommand => ({
  type: 'RecordServerRestoreStarted',
  data: {
    serverId: id(host),
    attempt,
    restorePointId: `rp-${host}-${attempt}`,
    restorePointTakenAt: takenAt,
    at,
  },
});
export const diskRestored = (host: string, disk: string, at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordDiskRestored',
  data: { serverId: id(host), attempt, disk, at },
});
export const bootStarted = (
  host: string,
  at: string,
  attempt = 1,
  hostName = 'esx-1',
): ActivationCommand => ({
  type: 'RecordServerBootStarted',
  data: { serverId: id(host), attempt, host: hostName, at },
});
export const booted = (host: string, at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordServerBooted',
  data: { serverId: id(host), attempt, at },
});
export const analysisStarted = (host: string, at: string, attempt = 1): ActivationCommand => ({
  type: 'RecordServerAnalysisStarted',
  data: { serverId: id(host), attempt, at },
});
export const checked = (
  host: string,
  health: 'ok' | 'warning' | 'failed',
  at: string,
  attempt = 1,
  detail: string | null = null,
): ActivationCommand => ({
  type: 'RecordServerChecked',
  data: { serverId: id(host), attempt, health, detail, at },
});
export const stepFailed = (
  host: string,
  step: 'restore' | 'boot' | 'analysis',
  at: string,
  attempt = 1,
  reason = 'simulated failure',
): ActivationCommand => ({
  type: 'RecordServerStepFailed',
  data: { serverId: id(host), attempt, step, reason, at },
});

/** Restore of a two-disk (c, d) server from start to restored. */
export const restoreAll = (
  host: string,
  startAt: string,
  doneAt: string,
  attempt = 1,
): ActivationCommand[] => [
  restoreStarted(host, startAt, attempt),
  diskRestored(host, 'c', doneAt, attempt),
  diskRestored(host, 'd', doneAt, attempt),
];

/** Boot + analysis + health of a restored server. */
export const bringUp = (
  host: string,
  bootAt: string,
  bootedAt: string,
  checkedAt: string,
  health: 'ok' | 'warning' | 'failed' = 'ok',
  attempt = 1,
): ActivationCommand[] => [
  bootStarted(host, bootAt, attempt),
  booted(host, bootedAt, attempt),
  analysisStarted(host, bootedAt, attempt),
  checked(host, health, checkedAt, attempt),
];

export const networkUp = (at: string): ActivationCommand[] => [
  { type: 'RecordNetworkSetupStarted', data: { at } },
  { type: 'RecordNetworkReady', data: { at } },
];
