import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@reprise/common/clock/system-clock';
import { activationDecider } from '@reprise/domain/activation';
import { COMPLETERS } from '@reprise/domain/completers';
import { foldSchedules, type TestSchedule } from '@reprise/domain/schedule';
import { handleCommand } from '@reprise/event-store/command-handling';
import { CompletionRunner } from '@reprise/event-store/completions/completion-runner';
import { ActivationClaims } from '@reprise/common/completions/activation-claims';
import { streams } from '@reprise/domain/shared/streams';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import type { AppendOptions, MetadataInput, NewEvent } from '@reprise/event-store/event-store.port';
import type { NotificationRequests } from '../../apps/worker/src/notifications/notification-requests.service';
import { validateEnvironment } from '@reprise/common/config/environment';
import { TestScheduler } from '../../apps/worker/src/scheduling/test-scheduler.service';

/**
 * The scheduler's tick against a real SQLite store (no Redis, no HTTP): two ticks racing start one
 * activation; a test that cannot start records why; notices are requested once per due date.
 */
describe('TestScheduler (integration, SQLite)', () => {
  const T = 'tenant-int';
  const NOW = '2026-03-02T09:00:00.000Z';
  const meta: MetadataInput = {
    actor: 'test',
    role: 'system',
    tenantId: T,
    correlationId: 'c',
    causationId: null,
  };
  let dir: string;
  let store: SqliteEventStore;
  let clock: ManualClock;
  let requested: Array<{ id: string; kind: string; payload: Record<string, unknown> }>;
  const notifications = {
    request: async (_t: string, id: string, kind: string, payload: Record<string, unknown>) => {
      if (requested.some((r) => r.id === id)) return false;
      requested.push({ id, kind, payload });
      return true;
    },
  } as unknown as NotificationRequests;
  const environment = validateEnvironment({ REPRISE_COMPLIANCE_EVERY_MS: '0' });
  let completions: CompletionRunner;
  const scheduler = () =>
    new TestScheduler(store, clock, notifications, new ActivationClaims(store, completions), environment);

  const enrol = (id: string, hostname: string, protectionClass: string, at: string) =>
    store.append(
      streams.server(T, id),
      [
        {
          type: 'ServerEnrolled',
          data: {
            serverId: id,
            tenantId: T,
            hostname,
            kind: 'virtual',
            platform: 'vmware',
            os: { family: 'linux', name: 'Ubuntu', version: '24.04' },
            backupMode: 'agent',
            applications: [],
            template: { vcpu: 2, ramGiB: 4 },
            disks: [{ name: 'system', sizeGiB: 40 }],
            protectionClass,
            dependsOn: [],
            rtoMinutes: 240,
            rpoMinutes: 1440,
            recoveryMethod: 'backup-restore',
            at,
          },
        },
      ],
      { expectedRevision: 'no-stream', metadata: meta },
    );
  const plan = (id: string, scheduledFor: string, kind = 'drp-test') =>
    store.append(
      streams.schedule(T, id),
      [
        {
          type: 'TestScheduled',
          data: {
            scheduleId: id,
            tenantId: T,
            kind,
            scheduledFor,
            scope: 'full',
            origin: 'user',
            dueAt: null,
            at: '2026-01-01T00:00:00.000Z',
          },
        },
      ],
      { expectedRevision: 'no-stream', metadata: meta },
    );
  const schedules = async (): Promise<TestSchedule[]> => [
    ...foldSchedules(await store.readAll({ streamPrefixes: [`tenant/${T}/test-schedule/`] })).values(),
  ];
  const activationStreams = async () => [
    ...new Set((await store.readAll({ streamPrefixes: [`tenant/${T}/activation/`] })).map((e) => e.stream)),
  ];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-sched-'));
    clock = new ManualClock(new Date(NOW));
    store = new SqliteEventStore({ path: join(dir, 'store.db'), clock });
    requested = [];
    await store.append(
      streams.tenant(T),
      [
        {
          type: 'TenantCreated',
          data: {
            id: T,
            name: 'Int',
            customerNumber: 'C-1',
            domain: 'int.example',
            timeZone: 'Europe/Paris',
            activationWindow: 'business-hours',
            notificationWebhookUrl: null,
            createdAt: '2025-01-01T00:00:00.000Z',
          },
        },
      ],
      { expectedRevision: 'no-stream', metadata: { ...meta, tenantId: 'platform' } },
    );
    await enrol('srv-web', 'web-1', 'drp', '2026-01-01T00:00:00.000Z');
    await enrol('srv-bk', 'bk-1', 'backup-with-tests', '2026-01-01T00:00:00.000Z');
    completions = new CompletionRunner(store, {
      subscriberId: 'int-completions',
      streamPrefixes: ['tenant/'],
      completionsOf: (event) => COMPLETERS.flatMap((complete) => complete(event)),
    });
    await completions.start();
  });
  afterEach(async () => {
    await completions.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two racing ticks start exactly one activation, requested by the scheduler, even outside business hours', async () => {
    await plan('s-1', '2026-03-01T22:00:00.000Z');
    const [one, two] = [scheduler(), scheduler()];
    clock.set(new Date('2026-03-01T23:00:00.000Z')); // Sunday night, Paris: tests still start
    await Promise.all([
      one.tickTenant(T, clock.now().toISOString()),
      two.tickTenant(T, clock.now().toISOString()),
    ]);
    await one.tickTenant(T, clock.now().toISOString());

    const activations = await activationStreams();
    expect(activations).toHaveLength(1);
    const [s] = await schedules();
    expect(s).toMatchObject({ status: 'started', activationId: activations[0].split('/').pop() });
    const events = await store.readStream(activations[0]);
    expect(events.map((e) => e.type)).toEqual(['ActivationRequested', 'ActivationStarted']);
    expect(events[0].data).toMatchObject({
      type: 'test',
      kind: 'drp-test',
      requestedBy: { name: 'Reprise scheduler', email: 'scheduler@reprise.local' },
    });
    // recorded through the claim of its servers, itself caused by the schedule
    const [claim] = await store.readStream(streams.activationClaims(T));
    expect(claim).toMatchObject({
      type: 'ScopeClaimed',
      metadata: { actor: 'system:scheduler', causationId: 's-1' },
    });
    expect(events[0].metadata).toMatchObject({ actor: 'system:scheduler', causationId: claim.id });
    const starts = (await store.readStream(streams.schedule(T, 's-1'))).filter(
      (e) => e.type === 'ScheduledTestStarted',
    );
    expect(starts).toHaveLength(1);
  });

  it('a tick that dies between its two appends (activation, then schedule): the next tick records the start, no second activation', async () => {
    await plan('s-9', '2026-03-02T08:00:00.000Z');
    // The process dies right after the activation's append: the schedule's append never happens.
    const dying = Object.assign(Object.create(store) as SqliteEventStore, {
      append: (stream: string, events: NewEvent[], options: AppendOptions) =>
        stream.includes('/test-schedule/')
          ? Promise.reject(new Error('SIGKILL'))
          : store.append(stream, events, options),
    });
    await expect(
      new TestScheduler(
        dying,
        clock,
        notifications,
        new ActivationClaims(dying, completions),
        environment,
      ).tickTenant(T, NOW),
    ).rejects.toThrow('SIGKILL');
    expect(await activationStreams()).toHaveLength(1);
    expect((await schedules())[0].status).toBe('scheduled');

    await scheduler().tickTenant(T, NOW);
    const activations = await activationStreams();
    expect(activations).toHaveLength(1);
    expect((await schedules())[0]).toMatchObject({
      status: 'started',
      activationId: activations[0].split('/').pop(),
    });
  });

  it('a test that would overlap a live activation is postponed (recorded and notified once), and starts once it ended', async () => {
    await plan('s-1', '2026-03-02T08:00:00.000Z');
    await plan('s-2', '2026-03-02T08:30:00.000Z'); // overlaps the first one's live activation
    await scheduler().tickTenant(T, NOW);
    await scheduler().tickTenant(T, NOW);
    const byId = () => schedules().then((all) => Object.fromEntries(all.map((s) => [s.id, s])));
    let s = await byId();
    const [first, second] = s['s-1'].status === 'started' ? ['s-1', 's-2'] : ['s-2', 's-1'];
    expect(s[first].status).toBe('started');
    expect(s[second]).toMatchObject({
      status: 'scheduled',
      postponed: { servers: ['web-1'], activationIds: [s[first].activationId] },
    });
    expect(s[second].postponed!.reason).toMatch(/web-1/);
    expect(await activationStreams()).toHaveLength(1);
    const postponements = (await store.readStream(streams.schedule(T, second))).filter(
      (e) => e.type === 'ScheduledTestPostponed',
    );
    expect(postponements).toHaveLength(1);
    expect(requested.filter((r) => r.kind === 'test-postponed')).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({ scheduleId: second, servers: ['web-1'] }),
      }),
    ]);

    // the first test ends: its servers are released, the postponed one starts at the next tick
    await handleCommand(
      store,
      streams.activation(T, s[first].activationId!),
      activationDecider,
      { type: 'AbortActivation', data: { reason: 'enough', by: { name: 'A', email: 'a@x.test' }, at: NOW } },
      meta,
    );
    await completions.drain();
    await scheduler().tickTenant(T, NOW);
    s = await byId();
    expect(s[second].status).toBe('started');
    expect(await activationStreams()).toHaveLength(2);
  });

  it('a restore test of backup-with-tests servers has no network step', async () => {
    await plan('s-r', '2026-03-02T08:00:00.000Z', 'restore-test');
    await scheduler().tickTenant(T, NOW);
    const [stream] = await activationStreams();
    const [requestedEvent] = await store.readStream(stream);
    expect(requestedEvent.data).toMatchObject({ kind: 'restore-test', withNetwork: false });
    expect(
      (requestedEvent.data as { servers: Array<{ hostname: string }> }).servers.map((s) => s.hostname),
    ).toEqual(['bk-1']);
  });

  it('default cadence: proposes the next tests when servers come due, once; due and overdue notices once per due date', async () => {
    // web-1 (drp) is due 2026-07-01; bk-1 (backup-with-tests) 2027-01-01.
    await scheduler().tickTenant(T, NOW);
    expect(await schedules()).toEqual([]);
    expect(requested).toEqual([]);

    const soon = '2026-06-10T00:00:00.000Z';
    await Promise.all([scheduler().tickTenant(T, soon), scheduler().tickTenant(T, soon)]);
    const proposals = await schedules();
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toMatchObject({
      kind: 'drp-test',
      origin: 'default-cadence',
      scope: 'full',
      dueAt: '2026-07-01T00:00:00.000Z',
      scheduledFor: '2026-07-10T00:00:00.000Z', // 30 days ahead, never less
      status: 'scheduled',
    });
    expect(requested.map((r) => [r.kind, r.payload.hostname])).toEqual([['test-due', 'web-1']]);
    expect(requested[0].payload).toMatchObject({ plannedTest: { scheduleId: proposals[0].id } });

    await scheduler().tickTenant(T, '2026-07-02T00:00:00.000Z');
    expect(await schedules()).toHaveLength(1);
    expect(requested.map((r) => [r.kind, r.payload.hostname])).toEqual([
      ['test-due', 'web-1'],
      ['test-overdue', 'web-1'],
    ]);
  });
});
