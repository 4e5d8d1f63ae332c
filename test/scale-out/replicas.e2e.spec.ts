import { existsSync } from 'node:fs';
import { admin } from '../support/tenants';
import { appEntry } from '../support/processes';
import { alive, call, follow, startReplicaSet, type Replica, type ReplicaSet } from './replica-set';

/**
 * Two api and two worker processes on one PostgreSQL event store, the local Redis and the simulated
 * recovery cloud (zero durations: all the time is the engine's). A 200-server activation survives the SIGKILL of one api
 * and one worker (both restarted, the api with its read models rebuilt from nothing) and ends with
 * the report of an undisturbed run and no disk restored twice; requests alternate between the apis,
 * each read after a write naming the write's position (`Reprise-Min-Position`).
 */

const SERVERS = 200;
const LEVELS = 4;
// Deterministic faults, the same in both runs: a boot failure (its downstream servers blocked) and a
// health warning.
const BOOT_FAILS = 'srv-005';
const WARNS = 'srv-150';

interface ServerRow {
  hostname: string;
  dependsOn: string[];
  family: 'windows' | 'linux';
}

/** Level = index mod 4; each server below level 0 depends on one or two of the level above. */
function estate(): ServerRow[] {
  const rows: ServerRow[] = [];
  for (let i = 0; i < SERVERS; i++) {
    const level = i % LEVELS;
    const above = rows.filter((_, j) => j % LEVELS === level - 1);
    const dependsOn =
      level === 0
        ? []
        : [...new Set([above[(i * 7) % above.length].hostname, above[(i * 13) % above.length].hostname])];
    rows.push({
      hostname: `srv-${String(i).padStart(3, '0')}`,
      dependsOn,
      family: i % 3 ? 'windows' : 'linux',
    });
  }
  return rows;
}

const serverBody = (s: ServerRow) => ({
  hostname: s.hostname,
  kind: 'virtual',
  platform: 'vmware',
  os:
    s.family === 'windows'
      ? { family: 'windows', name: 'Windows Server', version: '2022' }
      : { family: 'linux', name: 'Ubuntu', version: '24.04' },
  backupMode: 'agent',
  template: { vcpu: 2, ramGiB: 4 },
  disks: [{ name: 'system', sizeGiB: 40 + (Number(s.hostname.slice(4)) % 5) * 20 }],
  protectionClass: 'drp',
  dependsOn: s.dependsOn,
  rtoMinutes: 10080,
  rpoMinutes: 1440,
});

interface Report {
  summary: Record<string, number>;
  servers: Array<Record<string, unknown>>;
  correctiveActions: Array<Record<string, unknown>>;
}

/** What a report says whatever the timing: its counts, each server's outcome, the actions advised. */
const deterministic = (report: Report) => ({
  summary: report.summary,
  servers: report.servers
    .map((s) => ({
      hostname: s.hostname,
      os: s.os,
      template: s.template,
      health: s.health,
      rtoMinutes: s.rtoMinutes,
      rtoMet: s.rtoMet,
      detail: s.detail,
    }))
    .sort((a, b) => String(a.hostname).localeCompare(String(b.hostname))),
  correctiveActions: [...report.correctiveActions].sort((a, b) =>
    JSON.stringify(a).localeCompare(JSON.stringify(b)),
  ),
});

const TERMINAL = ['completed', 'completed-with-failures'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('2 api + 2 worker replicas on PostgreSQL, under SIGKILL', () => {
  let set: ReplicaSet;
  let token: string;
  /** The store position of the latest write this client made (read-your-writes through any replica). */
  let seen = 0;
  let turn = 0;

  /** The next live api, round-robin (what a load balancer does): every request may land on either. */
  const anyApi = (): Replica => {
    const live = set.apis.filter(alive);
    return live[turn++ % live.length];
  };

  async function api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    via = anyApi(),
  ) {
    const answer = await call<T>(via, token, method, path, body, { 'Reprise-Min-Position': String(seen) });
    const position = answer.headers.get('reprise-position');
    if (position !== null) seen = Math.max(seen, Number(position));
    return answer;
  }

  async function sim<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${set.cloud.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  async function request(scope: unknown = 'full', via?: Replica) {
    return api<{ id: string; status: string }>(
      'POST',
      '/activations',
      { type: 'test', scope, requestedBy: { name: 'Claire', email: 'claire@acme.example' } },
      via,
    );
  }

  async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  }

  type View = { status: string; servers: Array<{ hostname: string; phase: string }> };
  const view = async (id: string) => (await api<View>('GET', `/activations/${id}`)).body;

  const finished = (id: string) =>
    until(
      `activation ${id} ends`,
      async () => {
        const v = await view(id);
        return TERMINAL.includes(v.status) ? v : null;
      },
      90_000,
    );

  async function reportOf(id: string): Promise<Report> {
    const answer = await api<Report>('GET', `/activations/${id}/report`);
    expect(answer.status).toBe(200);
    return answer.body;
  }

  async function close(id: string) {
    const answer = await api<{ status: string }>('POST', `/activations/${id}/close`, {});
    expect(answer.status).toBe(200);
    await until(
      `activation ${id} closed`,
      async () => ((await view(id)).status === 'closed' ? true : null),
      30_000,
    );
  }

  /** Ends whatever a failed scenario left live, so that the next one may start (the overlap rule). */
  async function closeLeftovers() {
    const list = await api<{ items: Array<{ id: string; status: string }> }>('GET', '/activations');
    for (const a of list.body.items.filter((item) => item.status !== 'closed')) {
      await finished(a.id);
      await close(a.id);
    }
  }

  let undisturbed: Report;

  beforeAll(async () => {
    if (!existsSync(appEntry('api'))) throw new Error('build first: npm run build (npm test does)');
    // A zero-duration cloud: the run lasts what the engine needs, a few seconds on these machines.
    set = await startReplicaSet({ apis: 2, workers: 2, cloudConfig: { timing: { zeroDurations: true } } });
    const tenant = await fetch(`${set.apis[0].url}/api/v1/tenants`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Replicas',
        customerNumber: `R-${Date.now()}`,
        domain: 'replicas.example',
        activationWindow: '24x7',
      }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const key = await fetch(`${set.apis[1].url}/api/v1/tenants/${tenant.id}/api-keys`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'manager', role: 'dr-manager' }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    token = key.token;
    // The import through one api, read back at once through the other.
    const imported = await api('POST', '/servers:import', estate().map(serverBody), set.apis[0]);
    expect(imported.status).toBe(201);
    const listed = await api<{ total: number }>('GET', '/servers', undefined, set.apis[1]);
    expect(listed.body.total).toBe(SERVERS);
    await until(
      'the estate synced to the cloud',
      async () => {
        const stats = await sim<{ protectedServers: number }>('GET', '/sim/v1/stats');
        return stats.protectedServers >= SERVERS ? true : null;
      },
      60_000,
    );
    await sim('POST', '/sim/v1/faults', { hostname: BOOT_FAILS, fault: 'boot-failure' });
    await sim('POST', '/sim/v1/faults', { hostname: WARNS, fault: 'health-warning' });
  }, 240_000);

  afterAll(async () => {
    await set?.close();
  }, 60_000);

  it('an undisturbed run: the reference report', async () => {
    const startedAt = Date.now();
    const started = await request('full');
    expect(started.status).toBe(202);
    const done = await finished(started.body.id);
    console.log(
      `replicas.e2e: undisturbed 200-server activation ended after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    expect(done.status).toBe('completed-with-failures');
    undisturbed = await reportOf(started.body.id);
    expect(undisturbed.summary).toMatchObject({ servers: SERVERS, warning: 1, failed: 1 });
    expect(undisturbed.summary.blocked).toBeGreaterThan(0);
    await close(started.body.id);
  }, 120_000);

  it('one api and one worker SIGKILLed mid-activation and restarted: the same report, no disk restored twice', async () => {
    expect(undisturbed).toBeDefined();
    await closeLeftovers();
    const before = await sim<{ restoreRequests: number; duplicateRestoreRequests: number }>(
      'GET',
      '/sim/v1/stats',
    );
    const startedAt = Date.now();
    const started = await request('full', set.apis[0]);
    expect(started.status).toBe(202);
    const id = started.body.id;
    // Followed live through the api that stays up, and through the one that will be killed (its
    // client then resumes on the other with Last-Event-ID).
    const stream = follow(set.apis[1], token, id);
    const cut = follow(set.apis[0], token, id);

    await until(
      'servers restoring',
      async () => {
        const v = await view(id);
        return v.servers.filter((s) => s.phase === 'restoring').length >= 5 ? v : null;
      },
      30_000,
    );
    const [api1] = set.apis;
    const [worker1] = set.workers;
    await Promise.all([set.kill(api1), set.kill(worker1)]);
    await cut.stop();
    const resumed = follow(set.apis[1], token, id, cut.events.at(-1)?.id ?? -1);
    // Meanwhile the survivors serve and work on.
    const during = await view(id);
    expect(['running', ...TERMINAL]).toContain(during.status);
    const killedAt = Date.now();
    await set.restart(api1, { freshReadModels: true });
    const apiBackAt = Date.now();
    await set.restart(worker1);

    const done = await finished(id);
    console.log(
      `replicas.e2e: 200-server activation with kills ended after ${((Date.now() - startedAt) / 1000).toFixed(1)} s; the api rebuilt its read models and answered ${((apiBackAt - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
    const disturbed = await reportOf(id);
    expect(done.status).toBe('completed-with-failures');
    expect(deterministic(disturbed)).toEqual(deterministic(undisturbed));

    const after = await sim<{
      restoreRequests: number;
      duplicateRestoreRequests: number;
      duplicateRestoresSameDisk: number;
    }>('GET', '/sim/v1/stats');
    expect(after.duplicateRestoreRequests).toBe(0);
    expect(after.duplicateRestoresSameDisk).toBe(0);
    // One restore per disk at most (one disk per server): none for a server blocked before its
    // restore began, how many of those there are depends on timing, in the undisturbed run too.
    const restores = after.restoreRequests - before.restoreRequests;
    expect(restores).toBeLessThanOrEqual(SERVERS);
    expect(restores).toBeGreaterThanOrEqual(SERVERS - disturbed.summary.blocked);

    // The stream of the replica that stayed up carried every event of the activation, in order.
    const events = (await api<Array<{ seq: number; type: string }>>('GET', `/activations/${id}/events`)).body;
    await until(
      'the stream carried every event',
      async () => (stream.events.length >= events.length ? true : null),
      10_000,
    );
    await until(
      'the resumed stream carried the rest',
      async () => (cut.events.length + resumed.events.length >= events.length ? true : null),
      10_000,
    );
    await Promise.all([stream.stop(), resumed.stop()]);
    expect(stream.failure).toBeNull();
    expect(resumed.failure).toBeNull();
    const seqs = events.map((e) => e.seq);
    expect(stream.events.slice(0, events.length).map((e) => e.id)).toEqual(seqs);
    expect(cut.events.length).toBeGreaterThan(0);
    expect([...cut.events, ...resumed.events].slice(0, events.length).map((e) => e.id)).toEqual(seqs);
    await close(id);
  }, 360_000);

  it('a write through one api is read through the other (Reprise-Min-Position)', async () => {
    const servers = (await api<{ items: Array<{ id: string; hostname: string }> }>('GET', '/servers')).body
      .items;
    const target = servers.find((s) => s.hostname === 'srv-199')!;
    const written = await call(set.apis[0], token, 'PUT', `/servers/${target.id}/protection-class`, {
      protectionClass: 'backup-only',
    });
    expect(written.status).toBe(200);
    const position = written.headers.get('reprise-position');
    expect(Number(position)).toBeGreaterThan(0);
    const read = await call<{ protectionClass: string }>(
      set.apis[1],
      token,
      'GET',
      `/servers/${target.id}`,
      undefined,
      {
        'Reprise-Min-Position': String(position),
      },
    );
    expect(read.status).toBe(200);
    expect(read.body.protectionClass).toBe('backup-only');
    const bad = await call(set.apis[1], token, 'GET', '/servers', undefined, {
      'Reprise-Min-Position': 'soon',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(bad.body)).toContain('Reprise-Min-Position');
  }, 30_000);

  it('two overlapping activation requests sent to the two apis at the same instant: exactly one 202', async () => {
    await closeLeftovers();
    const scope = { servers: ['srv-010', 'srv-011'] };
    const answers = await Promise.all(set.apis.map((replica) => request(scope, replica)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([202, 409]);
    const started = answers.find((a) => a.status === 202)!;
    const refused = answers.find((a) => a.status === 409)!;
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    await finished(started.body.id);
    await close(started.body.id);
  }, 120_000);
});
