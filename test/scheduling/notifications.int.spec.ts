import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { ManualClock } from '@reprise/common/clock/system-clock';
import type { DeliveryResult, Notifier } from '@reprise/common/notifications/notifier';
import { activationDecider } from '@reprise/domain/activation';
import { server } from '@reprise/domain/activation/testing/fixtures';
import { streams } from '@reprise/domain/shared/streams';
import { handleCommand } from '@reprise/event-store/command-handling';
import type { MetadataInput } from '@reprise/event-store/event-store.port';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import type { JobPayloads } from '@reprise/jobs';
import { PartitionLeases } from '@reprise/jobs/partition-leases';
import Redis from 'ioredis';
import { deleteQueueKeys, testQueuePrefix } from '../support/redis-keys';
import { validateEnvironment } from '@reprise/common/config/environment';
import { DEFAULT_WORKFLOW_SETTINGS } from '@reprise/domain/activation/activation.workflow';
import { ActivationDispatcher } from '../../apps/worker/src/activation/activation-dispatcher.service';
import { ActivationRecorder } from '../../apps/worker/src/activation/activation-recorder.service';
import { ActivationNotifications } from '../../apps/worker/src/notifications/activation-notifications.service';
import { NotificationDeliveryProcessor } from '../../apps/worker/src/notifications/notification-delivery.processor';
import { NotificationRequests } from '../../apps/worker/src/notifications/notification-requests.service';

/** Notifications against a real SQLite store, with a fake queue and a fake webhook. */
describe('notifications (integration, SQLite)', () => {
  const T = 'tenant-n';
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
  let queued: Array<JobPayloads['notification.deliver']>;
  let requests: NotificationRequests;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-notif-'));
    clock = new ManualClock(new Date(NOW));
    store = new SqliteEventStore({ path: join(dir, 'store.db'), clock, pollIntervalMs: 10 });
    queued = [];
    const queue = {
      add: async (_name: string, data: JobPayloads['notification.deliver']) => void queued.push(data),
    };
    requests = new NotificationRequests(store, clock, queue as never);
    await store.append(
      streams.tenant(T),
      [
        {
          type: 'TenantCreated',
          data: {
            id: T,
            name: 'N',
            customerNumber: 'C-2',
            domain: 'n.example',
            timeZone: 'Europe/Paris',
            activationWindow: '24x7',
            notificationWebhookUrl: 'http://127.0.0.1:9/hook',
            createdAt: '2025-01-01T00:00:00.000Z',
          },
        },
      ],
      { expectedRevision: 'no-stream', metadata: { ...meta, tenantId: 'platform' } },
    );
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('requests a notification once per id and hands it to the delivery job', async () => {
    expect(
      await requests.request(T, 'report-ready.a-1', 'report-ready', { activationId: 'a-1', kind: 'x' }, null),
    ).toBe(true);
    expect(await requests.request(T, 'report-ready.a-1', 'report-ready', { activationId: 'a-1' }, null)).toBe(
      false,
    );
    const events = await store.readStream(streams.notification(T, 'report-ready.a-1'));
    expect(events.map((e) => e.type)).toEqual(['NotificationRequested']);
    expect(events[0].data).toMatchObject({
      kind: 'report-ready',
      payload: { tenantId: T, activationId: 'a-1' },
    });
    expect((events[0].data as { payload: Record<string, unknown> }).payload).not.toHaveProperty('kind');
    expect(queued).toEqual([{ tenantId: T, notificationId: 'report-ready.a-1' }]);
  });

  it('records every failed delivery (retried by the job), then the delivery; never the webhook URL', async () => {
    await requests.request(T, 'test-due.s.1', 'test-due', { hostname: 'web-1' }, null);
    const answers: DeliveryResult[] = [
      { delivered: false, channel: 'webhook', attempts: 3, status: 503, error: 'HTTP 503' },
      { delivered: true, channel: 'webhook', attempts: 1, status: 204, error: null },
    ];
    const sent: unknown[] = [];
    const notifier: Notifier = {
      deliver: async (notification, target) => {
        sent.push({ notification, target });
        return answers.shift()!;
      },
    };
    const processor = new NotificationDeliveryProcessor(store, clock, notifier);
    const job = (attemptsMade: number) =>
      ({
        name: 'notification.deliver',
        id: 'j',
        data: { tenantId: T, notificationId: 'test-due.s.1' },
        attemptsMade,
        opts: { attempts: 8 },
      }) as unknown as Job<JobPayloads['notification.deliver']>;
    await expect(processor.process(job(0))).rejects.toThrow(/not delivered/);
    await processor.process(job(1));
    await processor.process(job(2)); // already delivered: nothing sent, nothing recorded
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({
      notification: { kind: 'test-due', payload: { hostname: 'web-1', notificationId: 'test-due.s.1' } },
      target: { webhookUrl: 'http://127.0.0.1:9/hook' },
    });
    const events = await store.readStream(streams.notification(T, 'test-due.s.1'));
    expect(events.map((e) => e.type)).toEqual([
      'NotificationRequested',
      'NotificationFailed',
      'NotificationDelivered',
    ]);
    expect(events[1].data).toMatchObject({ willRetry: true, status: 503, delivery: 1 });
    expect(events[2].data).toMatchObject({ delivered: true, delivery: 2 });
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain('127.0.0.1');
  });

  it('a 4xx answer is final: recorded as failed, not retried', async () => {
    await requests.request(T, 'test-overdue.s.1', 'test-overdue', { hostname: 'web-1' }, null);
    const notifier: Notifier = {
      deliver: async () => ({
        delivered: false,
        channel: 'webhook',
        attempts: 1,
        status: 410,
        error: 'HTTP 410',
      }),
    };
    const processor = new NotificationDeliveryProcessor(store, clock, notifier);
    await processor.process({
      name: 'notification.deliver',
      data: { tenantId: T, notificationId: 'test-overdue.s.1' },
      attemptsMade: 0,
      opts: { attempts: 8 },
    } as unknown as Job<JobPayloads['notification.deliver']>);
    const events = await store.readStream(streams.notification(T, 'test-overdue.s.1'));
    expect(events.map((e) => e.type)).toEqual(['NotificationRequested', 'NotificationFailed']);
    expect(events[1].data).toMatchObject({ willRetry: false, status: 410 });
  });

  it('the dispatcher records a projected RTO breach once when its timer falls due; it is notified', async () => {
    const activationId = 'act-rto';
    await handleCommand(
      store,
      streams.activation(T, activationId),
      activationDecider,
      {
        type: 'RequestActivation',
        data: {
          activationId,
          tenantId: T,
          type: 'test',
          scope: 'full',
          // 2 TiB at 10 GiB/min: ~200 min of restore against a 30-minute RTO.
          estate: [
            server('big-1', { rtoMinutes: 30, disks: [{ name: 'c', sizeGiB: 2048 }] }),
            server('small-1', { rtoMinutes: 600 }),
          ],
          requestedBy: { name: 'Claire', email: 'claire@acme.example' },
          window: { activationWindow: '24x7', timeZone: 'Europe/Paris' },
          at: NOW,
        },
      },
      meta,
    );
    const steps: unknown[] = [];
    // The dispatcher's share of the activations: alone on its (real) lease prefix, it holds them all.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    const leasePrefix = testQueuePrefix('dispatch');
    const dispatcher = new ActivationDispatcher(
      store,
      clock,
      { addBulk: async (jobs: unknown[]) => void steps.push(...jobs) } as never,
      new ActivationRecorder(store),
      DEFAULT_WORKFLOW_SETTINGS,
      validateEnvironment({ REPRISE_RECONCILE_SWEEP_MS: '3600000' }),
      new PartitionLeases({ redis, prefix: `${leasePrefix}:dispatch`, memberId: 'the-only-worker' }),
    );
    const follower = new ActivationNotifications(store, requests);
    follower.onApplicationBootstrap();
    await dispatcher.onApplicationBootstrap();
    try {
      // At launch big-1 is projected at ~207 min: its timer is due, small-1's (600 min) is not.
      await dispatcher.sweep();
      await dispatcher.sweep(); // fired once: the recorded breach disarms the timer
      const deadline = Date.now() + 10_000;
      while (
        !queued.some((q) => q.notificationId.startsWith('rto-breach-projected')) &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      await dispatcher.onApplicationShutdown();
      await follower.onApplicationShutdown();
      redis.disconnect();
      await deleteQueueKeys(leasePrefix);
    }
    expect(steps.length).toBeGreaterThan(0); // the restores were enqueued alongside
    const breaches = (await store.readStream(streams.activation(T, activationId))).filter(
      (e) => e.type === 'RtoBreachProjected',
    );
    expect(breaches).toHaveLength(1);
    expect(breaches[0].data).toMatchObject({ serverId: 'id-big-1', targetMinutes: 30 });
    const id = queued.find((q) => q.notificationId.startsWith('rto-breach-projected'))!.notificationId;
    const [requested] = await store.readStream(streams.notification(T, id));
    expect(requested.data).toMatchObject({
      kind: 'rto-breach-projected',
      payload: { activationId, serverId: 'id-big-1', hostname: 'big-1', targetMinutes: 30 },
    });
  });
});
