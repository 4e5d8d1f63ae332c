import { createServer, type Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { DeepPartial, SimConfig } from '../../apps/recovery-cloud/src/model/config';
import {
  startRecoveryCloud,
  type RunningRecoveryCloud,
} from '../../apps/recovery-cloud/src/recovery-cloud.app';
import { startApi, type ApiHarness } from './api-harness';
import type { TestEventStore } from './event-store';
import { deleteQueueKeys, testQueuePrefix } from './redis-keys';
import { bearer, createTenant as createTenantKeys } from './tenants';

export interface StackOptions {
  timeScale?: number;
  startAt?: string;
  cloudConfig?: DeepPartial<SimConfig>;
  /** Start the worker inside the test process (default) or leave it to the test (e.g. spawned). */
  worker?: 'in-process' | 'none';
  /** More environment for the apps (e.g. an existing store's SQLITE_PATH). */
  env?: Record<string, string>;
  /** The event store (default: `REPRISE_TEST_EVENT_STORE`, else SQLite); see support/event-store.ts. */
  eventStore?: TestEventStore;
}

export interface Stack {
  cloud: RunningRecoveryCloud;
  api: ApiHarness;
  worker: INestApplication | null;
  env: Record<string, string>;
  webhook: Webhook;
  close(): Promise<void>;
}

/** A local HTTP endpoint standing in for a tenant's notification webhook. */
export interface Webhook {
  url: string;
  received: Array<Record<string, unknown>>;
  waitFor(
    predicate: (body: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startWebhook(): Promise<Webhook> {
  const received: Array<Record<string, unknown>> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        received.push(JSON.parse(body));
      } catch {
        received.push({ raw: body });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async waitFor(predicate, timeoutMs = 10_000) {
      const start = Date.now();
      for (;;) {
        const found = received.find(predicate);
        if (found) return found;
        if (Date.now() - start > timeoutMs) throw new Error('webhook not called in time');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * The whole product for end-to-end tests: the simulated recovery cloud (its own HTTP server), the
 * API over HTTP, and the worker with real BullMQ on the local Redis, all on one fresh event store
 * (a SQLite file, or a PostgreSQL schema: `eventStore`) and one simulated clock. Each stack gets its own queue prefix so test files never share jobs.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const cloud = await startRecoveryCloud({
    seed: 7,
    timeScale: options.timeScale ?? 600,
    startAt: options.startAt,
    config: options.cloudConfig,
  });
  const webhook = await startWebhook();
  const env = {
    RECOVERY_CLOUD_URL: cloud.url,
    CLOCK: 'simulated',
    QUEUE_PREFIX: testQueuePrefix('stack'),
    REPRISE_SETTLE_TIMEOUT_MS: '20000',
    ...options.env,
  };
  const api = await startApi(env, { eventStore: options.eventStore });
  let worker: INestApplication | null = null;
  if ((options.worker ?? 'in-process') === 'in-process') {
    const { createWorkerApp } = await import('../../apps/worker/src/worker.app');
    worker = await createWorkerApp({ logger: false });
    await worker.init();
  }
  return {
    cloud,
    api,
    worker,
    env: { ...env, ...api.testStore.env, SQLITE_PATH: process.env.SQLITE_PATH as string },
    webhook,
    async close(this: Stack) {
      await this.worker?.close();
      await api.close();
      await cloud.close();
      await webhook.close();
      // Every key the worker(s) of this stack created in Redis (BullMQ queues, job data, locks).
      await deleteQueueKeys(env.QUEUE_PREFIX);
    },
  };
}

export { bearer } from './tenants';

/** A 24x7 tenant (activations start at once) with one key per role. */
export const createTenant = (api: ApiHarness, overrides: Record<string, unknown> = {}) =>
  createTenantKeys(api, { name: 'Acme', domain: 'acme.example', activationWindow: '24x7', ...overrides });

export interface ServerInput {
  hostname: string;
  family?: 'windows' | 'linux';
  dependsOn?: string[];
  diskGiB?: number;
  protectionClass?: string;
  rtoMinutes?: number;
}

export function serverBody(s: ServerInput) {
  const windows = (s.family ?? 'windows') === 'windows';
  return {
    hostname: s.hostname,
    kind: 'virtual',
    platform: 'vmware',
    os: windows
      ? { family: 'windows', name: 'Windows Server', version: '2022' }
      : { family: 'linux', name: 'Ubuntu', version: '24.04' },
    backupMode: 'agent',
    template: { vcpu: 2, ramGiB: 4 },
    disks: [{ name: 'system', sizeGiB: s.diskGiB ?? 60 }],
    protectionClass: s.protectionClass ?? 'drp',
    dependsOn: s.dependsOn ?? [],
    rtoMinutes: s.rtoMinutes ?? 240,
    rpoMinutes: 1440,
  };
}

export async function enrol(
  api: ApiHarness,
  token: string,
  servers: ServerInput[],
): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const s of servers) {
    const res = await api.http.post('/api/v1/servers').set(bearer(token)).send(serverBody(s));
    if (res.status !== 201) throw new Error(`enrol ${s.hostname}: ${res.status} ${JSON.stringify(res.body)}`);
    ids[s.hostname] = res.body.id;
  }
  return ids;
}

export async function waitForStatus(
  api: ApiHarness,
  token: string,
  id: string,
  statuses: string[],
  timeoutMs = 30_000,
) {
  const start = Date.now();
  for (;;) {
    const res = await api.http.get(`/api/v1/activations/${id}`).set(bearer(token));
    if (statuses.includes(res.body.status)) return res.body;
    if (Date.now() - start > timeoutMs)
      throw new Error(
        `activation ${id} still ${res.body.status} (wanted ${statuses.join('|')}): ${JSON.stringify(res.body.servers?.map((s: { hostname: string; phase: string }) => `${s.hostname}:${s.phase}`))}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
