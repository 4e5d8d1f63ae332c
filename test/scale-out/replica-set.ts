import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dropTestSchema,
  postgresTestUrl,
  uniqueTestSchema,
} from '@reprise/event-store/testing/postgres-test-schema';
import type { DeepPartial, SimConfig } from '../../apps/recovery-cloud/src/model/config';
import { ADMIN_TOKEN } from '../support/api-harness';
import { appEntry, freePort, ROOT } from '../support/processes';
import { deleteQueueKeys, testQueuePrefix } from '../support/redis-keys';

/**
 * Several api and worker replicas as real processes (the built apps) on one PostgreSQL schema, the
 * local Redis and the simulated recovery cloud (its own process too). Each
 * replica has its own read-model file; the personal-data keys are in PostgreSQL, the development
 * secrets are files shared next to SQLITE_PATH (production passes them in the environment).
 *
 * REPLICA_LOG=/tmp/rlog keeps each process's log in /tmp/rlog.<name>.<pid> when debugging.
 */
export interface Replica {
  name: string;
  kind: 'api' | 'worker' | 'recovery-cloud';
  url: string;
  child: ChildProcess;
}

/** Whether the replica's process still runs (a load balancer's health check, in short). */
export const alive = (replica: Replica): boolean =>
  replica.child.exitCode === null && replica.child.signalCode === null;

export interface ReplicaSet {
  /** The simulator, its own process too (an in-process one would share the test's busy event loop). */
  cloud: Replica;
  apis: Replica[];
  workers: Replica[];
  /** Kills a replica with SIGKILL and waits for its exit. */
  kill(replica: Replica): Promise<void>;
  /** Starts a replica again under the same name (a fresh read-model file when `freshReadModels`). */
  restart(replica: Replica, options?: { freshReadModels?: boolean }): Promise<Replica>;
  close(): Promise<void>;
}

export interface ReplicaSetOptions {
  apis: number;
  workers: number;
  cloudConfig?: DeepPartial<SimConfig>;
}

const START_TIMEOUT_MS = 120_000;

export async function startReplicaSet(options: ReplicaSetOptions): Promise<ReplicaSet> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-replicas-'));
  const schema = uniqueTestSchema();
  const queuePrefix = testQueuePrefix('replicas');
  const cloudPort = await freePort();
  const common: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.REPLICA_LOG ? 'info' : 'silent',
    EVENT_STORE: 'postgres',
    POSTGRES_URL: postgresTestUrl(),
    POSTGRES_SCHEMA: schema,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: queuePrefix,
    RECOVERY_CLOUD_URL: `http://127.0.0.1:${cloudPort}`,
    CLOCK: 'simulated',
    SIM_TIME_SCALE: '600',
    REPRISE_ADMIN_TOKEN: ADMIN_TOKEN,
    // The development secrets (generated once, race-free), shared by every process.
    SQLITE_PATH: join(dir, 'shared', 'reprise.db'),
    REPRISE_SETTLE_TIMEOUT_MS: '20000',
  };
  const children = new Set<ChildProcess>();

  const ports = { api: 'API', worker: 'WORKER', 'recovery-cloud': 'RECOVERY_CLOUD' } as const;

  async function start(kind: Replica['kind'], name: string, fresh = false): Promise<Replica> {
    const own = join(dir, name);
    if (fresh) rmSync(own, { recursive: true, force: true });
    mkdirSync(own, { recursive: true });
    const port = kind === 'recovery-cloud' ? cloudPort : await freePort();
    const env: Record<string, string> = {
      ...common,
      READ_MODEL_PATH: join(own, 'read-models.db'),
      AUDIT_TREE_HEAD_SINK_DIR: join(own, 'tree-heads'),
      [`${ports[kind]}_PORT`]: String(port),
      [`${ports[kind]}_HOST`]: '127.0.0.1',
      SIM_SEED: '11',
    };
    const logging = !!process.env.REPLICA_LOG;
    const child = spawn(process.execPath, [appEntry(kind)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', logging ? 'pipe' : 'ignore', 'pipe'],
    });
    if (logging) {
      const out = createWriteStream(`${process.env.REPLICA_LOG}.${name}.${child.pid}`);
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
    }
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    children.add(child);
    child.on('exit', () => children.delete(child));
    const url = `http://127.0.0.1:${port}`;
    // A replica answers once its read models caught up: from nothing, thousands of events, which
    // takes a while on a loaded machine.
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr}`);
      const ok = await fetch(`${url}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline)
        throw new Error(`${name} did not answer /health in ${START_TIMEOUT_MS / 1000} s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { name, kind, url, child };
  }

  const kill = (replica: Replica) =>
    new Promise<void>((resolve) => {
      const { child } = replica;
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });

  const set: ReplicaSet = {
    cloud: await start('recovery-cloud', 'recovery-cloud'),
    apis: [],
    workers: [],
    kill,
    async restart(replica, restartOptions = {}) {
      await kill(replica);
      const next = await start(replica.kind, replica.name, restartOptions.freshReadModels);
      if (replica.kind === 'recovery-cloud') set.cloud = next;
      else {
        const list = replica.kind === 'api' ? set.apis : set.workers;
        list[list.indexOf(replica)] = next;
      }
      return next;
    },
    async close() {
      await Promise.all(
        [...children].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 5000).unref();
            }),
        ),
      );
      await deleteQueueKeys(queuePrefix);
      await dropTestSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    if (options.cloudConfig) {
      const res = await fetch(`${set.cloud.url}/sim/v1/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(options.cloudConfig),
      });
      if (!res.ok)
        throw new Error(`the simulator refused its configuration: ${res.status} ${await res.text()}`);
    }
    // The first of each starts alone: it creates the schema and the shared dev secrets.
    for (let i = 1; i <= options.apis; i++) set.apis.push(await start('api', `api-${i}`));
    for (let i = 1; i <= options.workers; i++) set.workers.push(await start('worker', `worker-${i}`));
  } catch (error) {
    await set.close();
    throw error;
  }
  return set;
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** One HTTP call to a replica's API (JSON in and out). */
export async function call<T = Record<string, unknown>>(
  replica: Replica,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const res = await fetch(`${replica.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
}

export interface SseEvent {
  id: number;
  type: string;
}

/**
 * Follows an activation's server-sent events through one replica until `stop()` (or the replica goes
 * away), resuming after `lastEventId` when given.
 */
export function follow(replica: Replica, token: string, activationId: string, lastEventId?: number) {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  let failure: Error | null = null;
  const done = (async () => {
    const res = await fetch(`${replica.url}/api/v1/activations/${activationId}/stream`, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
        ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}),
      },
      signal: controller.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          message
            .split('\n')
            .find((line) => line.startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        const id = field('id');
        if (id !== undefined) events.push({ id: Number(id), type: field('event') ?? 'message' });
      }
    }
  })().catch((error: Error) => {
    // Aborted by stop(), or the replica went away: what was received is what the test judges.
    if (error.name !== 'AbortError') failure = error;
  });
  return {
    events,
    /** Why the stream ended before stop() (null: it did not). */
    get failure() {
      return failure;
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}
