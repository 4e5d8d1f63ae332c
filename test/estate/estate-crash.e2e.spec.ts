import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '@reprise/common/clock/system-clock';
import type { EstateChangeDecided } from '@reprise/domain/estate/estate-registry';
import { streams } from '@reprise/domain/shared/streams';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { appEntry } from '../support/processes';
import { deleteQueueKeys, testQueuePrefix } from '../support/redis-keys';
import { server } from './support';

/**
 * SIGKILL of a real api process (the built app) during concurrent enrolments, imports and
 * decommissions, then a restart on the same files, round after round. After each restart:
 * - no acknowledged write is lost (every 201 is listed, every acknowledged decommission holds);
 * - for every hostname a request touched, POST of that hostname and GET /servers agree (409 if and
 *   only if an active or archived server holds it), and an import is there whole or not at all;
 * - the decisions the kill left half done (decided, not yet on every server stream) are counted
 *   from the store before the restart, and all of them are complete after it.
 */
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 6);
const CLIENTS = 6;
const ADMIN = 'crash-admin-token-0123456789';

interface Outcome {
  kind: 'enrol' | 'import' | 'decommission';
  hostnames: string[];
  acknowledged: boolean;
  /** The server a decommission targets. */
  id?: string;
}

describe('estate writes under SIGKILL of the api (real process, SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-crash-'));
  const sqlite = join(dir, 'reprise.db');
  const queuePrefix = testQueuePrefix('estate-crash');
  let api: ApiProcess | null = null;
  let tenantId = '';
  let token = '';

  async function startApi(): Promise<void> {
    api = await spawnApi({
      SQLITE_PATH: sqlite,
      READ_MODEL_PATH: join(dir, 'read-models-api.db'),
      REPRISE_ADMIN_TOKEN: ADMIN,
      QUEUE_PREFIX: queuePrefix,
    });
  }

  function kill(): Promise<void> {
    const killed = api!;
    api = null;
    return killed.kill('SIGKILL');
  }

  const call = (method: string, path: string, body?: unknown, auth = token) =>
    api!.call(method, path, body, auth);

  /** Every server of the tenant by hostname (active and archived ones hold their name). */
  async function listed(): Promise<Map<string, Array<{ id: string; status: string }>>> {
    const res = await call('GET', '/servers?limit=10000');
    expect(res.status).toBe(200);
    const byName = new Map<string, Array<{ id: string; status: string }>>();
    for (const s of res.body.items as Array<{ id: string; hostname: string; status: string }>)
      byName.set(s.hostname, [...(byName.get(s.hostname) ?? []), { id: s.id, status: s.status }]);
    return byName;
  }
  const holds = (entries: Array<{ status: string }> | undefined) =>
    (entries ?? []).some((s) => s.status !== 'decommissioned');

  /** Decisions of the tenant's registry not yet recorded on every server stream they name. */
  async function halfDone(): Promise<number> {
    const store = new SqliteEventStore({ path: sqlite, clock: new SystemClock() });
    try {
      const events = await store.readAll({ streamPrefixes: [streams.tenantPrefix(tenantId)] });
      const caused = new Set(events.map((e) => `${e.stream}|${e.metadata.causationId}`));
      return events
        .filter((e) => e.type === 'EstateChangeDecided')
        .filter((e) =>
          (e as unknown as EstateChangeDecided).data.changes.some(
            (c) => !caused.has(`${streams.server(tenantId, c.serverId)}|${e.id}`),
          ),
        ).length;
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    if (!existsSync(appEntry('api'))) throw new Error('build first: npm run build (npm test does)');
    await startApi();
    const tenant = await call(
      'POST',
      '/tenants',
      { name: 'Crash', customerNumber: `CR-${process.pid}`, domain: 'crash.example' },
      ADMIN,
    );
    tenantId = tenant.body.id as string;
    const key = await call('POST', `/tenants/${tenantId}/api-keys`, { name: 'm', role: 'dr-manager' }, ADMIN);
    token = key.body.token as string;
    expect(token).toBeTruthy();
  }, 60_000);

  afterAll(async () => {
    if (api) await kill();
    rmSync(dir, { recursive: true, force: true });
    await deleteQueueKeys(queuePrefix);
  });

  it(`${ROUNDS} rounds: no hostname reserved without a server, no acknowledged write lost`, async () => {
    const acknowledgedActive = new Map<string, string>(); // hostname → id, enrolled and acknowledged
    const acknowledgedGone = new Set<string>(); // ids whose decommission was acknowledged
    const totals = { requests: 0, acknowledged: 0, interrupted: 0, halfDone: 0, hostnamesChecked: 0 };

    for (let round = 1; round <= ROUNDS; round++) {
      const outcomes: Outcome[] = [];
      let stop = false;
      const client = async (c: number) => {
        for (let n = 0; !stop; n++) {
          const op = n % 5;
          const name = (i = 0) => `r${round}-c${c}-${n}-${i}`;
          const hostnames = op === 2 ? [0, 1, 2, 3, 4].map((i) => name(i)) : op === 4 ? [] : [name()];
          const upstream = [...acknowledgedActive.keys()].slice(-3);
          try {
            if (op === 2) {
              const outcome: Outcome = { kind: 'import', hostnames, acknowledged: false };
              outcomes.push(outcome);
              const rows = hostnames.map((h, i) =>
                server(h, { dependsOn: i ? [hostnames[0]] : upstream.slice(0, 1) }),
              );
              const res = await call('POST', '/servers:import', rows);
              expect(res.status).toBe(201);
              outcome.acknowledged = true;
              for (const item of res.body.items as Array<{ id: string; hostname: string }>)
                acknowledgedActive.set(item.hostname, item.id);
            } else if (op === 4) {
              // decommission a server this round enrolled, that nothing depends on
              const mine = [...acknowledgedActive].filter(
                ([h]) => h.startsWith(`r${round}-c${c}-`) && h.endsWith('-0'),
              );
              const victim = mine.find(([h]) => !h.includes(`-${(n - 2) % 5 === 0 ? n - 2 : -1}-`));
              if (!victim) continue;
              const outcome: Outcome = {
                kind: 'decommission',
                hostnames: [victim[0]],
                acknowledged: false,
                id: victim[1],
              };
              outcomes.push(outcome);
              const res = await call('DELETE', `/servers/${victim[1]}`);
              if (res.status === 409) {
                outcome.acknowledged = true; // it has dependents: refused, nothing changed
                continue;
              }
              expect(res.status).toBe(200);
              outcome.acknowledged = true;
              acknowledgedActive.delete(victim[0]);
              acknowledgedGone.add(victim[1]);
            } else {
              const outcome: Outcome = { kind: 'enrol', hostnames, acknowledged: false };
              outcomes.push(outcome);
              const res = await call(
                'POST',
                '/servers',
                server(hostnames[0], { dependsOn: upstream.slice(0, 2) }),
              );
              expect(res.status).toBe(201);
              outcome.acknowledged = true;
              acknowledgedActive.set(hostnames[0], res.body.id as string);
            }
          } catch (error) {
            if (!stop) throw error;
            return; // the api died under this request
          }
        }
      };
      const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      // Kill once the load is well under way (a loaded machine answers slower), at a random instant.
      const since = Date.now();
      while (outcomes.filter((o) => o.acknowledged).length < CLIENTS && Date.now() - since < 20_000)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 600)));
      stop = true;
      await kill();
      await load;
      const half = await halfDone();

      await startApi();
      expect(await halfDone()).toBe(0);
      const byName = await listed();
      // A decommission cut by the kill may or may not have been decided: either answer is whole.
      for (const o of outcomes.filter((x) => x.kind === 'decommission' && !x.acknowledged)) {
        const status = byName.get(o.hostnames[0])?.find((s) => s.id === o.id)?.status;
        expect([o.hostnames[0], ['active', 'decommissioned'].includes(status ?? '')]).toEqual([
          o.hostnames[0],
          true,
        ]);
        if (status === 'decommissioned') {
          acknowledgedActive.delete(o.hostnames[0]);
          acknowledgedGone.add(o.id!);
        }
      }
      // no acknowledged write lost
      for (const [hostname, id] of acknowledgedActive)
        expect([hostname, byName.get(hostname)?.find((s) => s.id === id)?.status]).toEqual([
          hostname,
          'active',
        ]);
      const statuses = new Map([...byName.values()].flat().map((s) => [s.id, s.status]));
      for (const id of acknowledgedGone) expect([id, statuses.get(id)]).toEqual([id, 'decommissioned']);
      // every hostname touched: POST and GET agree; an import is whole or absent
      const touched = [...new Set(outcomes.flatMap((o) => o.hostnames))];
      for (const o of outcomes.filter((x) => x.kind === 'import' && !x.acknowledged)) {
        const present = o.hostnames.map((h) => holds(byName.get(h)));
        expect([o.hostnames[0], new Set(present).size]).toEqual([o.hostnames[0], 1]);
      }
      for (const hostname of touched) {
        const held = holds(byName.get(hostname));
        const res = await call('POST', '/servers', server(hostname));
        expect([hostname, res.status]).toEqual([hostname, held ? 409 : 201]);
        if (!held) acknowledgedActive.set(hostname, res.body.id as string);
        else if (!acknowledgedActive.has(hostname)) {
          const active = byName.get(hostname)!.find((s) => s.status === 'active');
          if (active) acknowledgedActive.set(hostname, active.id);
        }
      }
      const interrupted = outcomes.filter((o) => !o.acknowledged).length;
      totals.requests += outcomes.length;
      totals.acknowledged += outcomes.length - interrupted;
      totals.interrupted += interrupted;
      totals.halfDone += half;
      totals.hostnamesChecked += touched.length;
      console.log(
        `crash round ${round}/${ROUNDS}: ${outcomes.length} requests, ${outcomes.length - interrupted} acknowledged, ${interrupted} cut by SIGKILL, ${half} decision(s) half done at the kill (completed at restart), ${touched.length} hostnames agree (POST vs GET)`,
      );
    }
    console.log(`crash test totals: ${JSON.stringify(totals)}`);
    expect(totals.acknowledged).toBeGreaterThan(ROUNDS * CLIENTS);
  }, 300_000);
});
