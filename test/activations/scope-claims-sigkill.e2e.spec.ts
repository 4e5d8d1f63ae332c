import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '@reprise/common/clock/system-clock';
import type { ScopeClaimed } from '@reprise/domain/activation';
import { streams } from '@reprise/domain/shared/streams';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { appEntry } from '../support/processes';
import { deleteQueueKeys, testQueuePrefix } from '../support/redis-keys';

/**
 * SIGKILL of a real api process (the built app) while activations of one tenant are requested and
 * aborted concurrently, then a restart on the same files, round after round. After each restart:
 * - every claim the kill left without its activation (counted from the store before the restart) is
 *   rolled forward: each claim's activation is there, once;
 * - every acknowledged request (202) is an activation;
 * - no server is held by two live activations;
 * and at the end, once every live activation is aborted, a request for every server starts: nothing
 * stayed claimed.
 */
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 4);
const CLIENTS = 6;
const ADMIN = 'claims-crash-admin-token-0123456789';
const CLAIRE = { name: 'Claire Martin', email: 'claire@acme.example' };
const HOSTS = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6'];
const LIVE = [
  'awaiting-confirmation',
  'scheduled',
  'alert',
  'running',
  'completed',
  'completed-with-failures',
];

describe('activation scope claims under SIGKILL of the api (real process, SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-claims-crash-'));
  const sqlite = join(dir, 'reprise.db');
  const queuePrefix = testQueuePrefix('claims-crash');
  let api: ApiProcess | null = null;
  let tenantId = '';
  let token = '';

  const start = async () => {
    api = await spawnApi({
      EVENT_STORE: 'sqlite',
      SQLITE_PATH: sqlite,
      READ_MODEL_PATH: join(dir, 'read-models-api.db'),
      REPRISE_ADMIN_TOKEN: ADMIN,
      QUEUE_PREFIX: queuePrefix,
    });
  };
  const call = (method: string, path: string, body?: unknown, auth = token) =>
    api!.call(method, path, body, auth);

  /** Claims recorded on the tenant's claims stream whose activation events are not recorded yet. */
  async function halfDone(): Promise<number> {
    const store = new SqliteEventStore({ path: sqlite, clock: new SystemClock() });
    try {
      const events = await store.readAll({ streamPrefixes: [streams.tenantPrefix(tenantId)] });
      const caused = new Set(events.map((e) => `${e.stream}|${e.metadata.causationId}`));
      return events
        .filter((e) => e.type === 'ScopeClaimed')
        .filter(
          (e) =>
            !caused.has(
              `${streams.activation(tenantId, (e as unknown as ScopeClaimed).data.activationId)}|${e.id}`,
            ),
        ).length;
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    if (!existsSync(appEntry('api'))) throw new Error('build first: npm run build (npm test does)');
    await start();
    const tenant = await call(
      'POST',
      '/tenants',
      { name: 'Claims crash', customerNumber: `CC-${process.pid}`, domain: 'claims.example' },
      ADMIN,
    );
    tenantId = tenant.body.id as string;
    const key = await call('POST', `/tenants/${tenantId}/api-keys`, { name: 'm', role: 'dr-manager' }, ADMIN);
    token = key.body.token as string;
    for (const hostname of HOSTS) {
      const res = await call('POST', '/servers', {
        hostname,
        kind: 'virtual',
        platform: 'vmware',
        os: { family: 'linux', name: 'Ubuntu', version: '22.04' },
        backupMode: 'agent',
        template: { vcpu: 2, ramGiB: 4 },
        disks: [{ name: 'system', sizeGiB: 40 }],
        protectionClass: 'drp',
      });
      expect(res.status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    await api?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await deleteQueueKeys(queuePrefix);
  });

  it(`${ROUNDS} rounds: no claim without its activation, no acknowledged request lost, no server in two live activations`, async () => {
    const acknowledged = new Set<string>();
    let rolledForward = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let stop = false;
      const client = async (n: number) => {
        for (let i = 0; !stop; i++) {
          const pick = HOSTS.filter((_, h) => (h + n + i + round) % 3 === 0);
          const res = await call('POST', '/activations', {
            type: 'test',
            scope: { servers: pick },
            requestedBy: CLAIRE,
          }).catch(() => null);
          if (!res) return; // the process died
          if (res.status === 202) {
            acknowledged.add(res.body.id as string);
            await call('POST', `/activations/${res.body.id}/abort`, { reason: 'next' }).catch(() => null);
          } else expect([409]).toContain(res.status);
        }
      };
      const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
      await new Promise((r) => setTimeout(r, 250 + 150 * round));
      stop = true;
      await api!.kill('SIGKILL');
      await Promise.all(clients);
      rolledForward += await halfDone();
      await start();
      expect(await halfDone()).toBe(0);

      const listed = await call('GET', '/activations');
      const items = listed.body.items as Array<{ id: string; status: string }>;
      const ids = new Set(items.map((a) => a.id));
      for (const id of acknowledged) expect(ids.has(id)).toBe(true);
      const holders = new Map<string, string>();
      for (const a of items.filter((x) => LIVE.includes(x.status))) {
        const view = await call('GET', `/activations/${a.id}`);
        for (const s of view.body.servers as Array<{ hostname: string }>) {
          expect(holders.get(s.hostname)).toBeUndefined();
          holders.set(s.hostname, a.id);
        }
      }
    }
    // everything ends: nothing stays claimed
    const listed = await call('GET', '/activations');
    for (const a of listed.body.items as Array<{ id: string; status: string }>)
      if (LIVE.includes(a.status))
        expect((await call('POST', `/activations/${a.id}/abort`, { reason: 'end' })).status).toBe(200);
    const all = await call('POST', '/activations', { type: 'test', scope: 'full', requestedBy: CLAIRE });
    expect(all.status).toBe(202);
    console.log(
      `claims under SIGKILL: ${ROUNDS} rounds, ${acknowledged.size} acknowledged activations, ${rolledForward} claim(s) found half done and rolled forward at restart`,
    );
  }, 180_000);
});
