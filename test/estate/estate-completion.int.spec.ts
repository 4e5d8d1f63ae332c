import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { SystemClock } from '@reprise/common/clock/system-clock';
import {
  estateRegistryDecider,
  type EstateChangeDecided,
  type EstateRegistryCommand,
} from '@reprise/domain/estate/estate-registry';
import { serverSpec } from '@reprise/domain/estate/testing/fixtures';
import { streams } from '@reprise/domain/shared/streams';
import { AggregateExecutor } from '@reprise/event-store/aggregate-executor';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import { startApi, type ApiHarness } from '../support/api-harness';
import { bearer, createTenant, server, type TenantFixture } from './support';

/**
 * The crash between the decisive append and its completions, made deterministic: while the api is
 * down, the store is left exactly as a process that died right after its decisive append leaves it
 * (the decision recorded by the registry decider, none or only some of its completions), then the
 * real api starts on it. Its first answers must already agree: what was decided is there, once.
 */
const V1 = '/api/v1';
const spec = serverSpec;

describe('estate decisions survive a crash between their two appends (real api, SQLite)', () => {
  let api: ApiHarness;
  let paths: { SQLITE_PATH: string; READ_MODEL_PATH: string };
  let t: TenantFixture;
  const dirs: string[] = [];

  const restart = async () => {
    await api.app.close();
    api = await startApi(paths);
    dirs.push(api.dataDir);
  };

  /** While the api is down: the decisive append a dying process made (the registry decider's own). */
  async function decideOffline(command: EstateRegistryCommand, completeOnly: string[] = []) {
    await api.app.close();
    const store = new SqliteEventStore({ path: paths.SQLITE_PATH, clock: new SystemClock() });
    const registry = new AggregateExecutor(store, estateRegistryDecider);
    const [decision] = await registry.execute(streams.estate(t.id), command, {
      actor: 'api-key:crash-test',
      role: 'dr-manager',
      tenantId: t.id,
      correlationId: `req-${randomUUID()}`,
      causationId: null,
    });
    // ...and the completions it managed before it died
    for (const change of (decision as unknown as EstateChangeDecided).data.changes)
      if (completeOnly.includes(change.serverId))
        await store.append(streams.server(t.id, change.serverId), change.events, {
          expectedRevision: 'no-stream',
          metadata: { ...decision.metadata, causationId: decision.id },
        });
    await store.close();
    api = await startApi(paths);
    dirs.push(api.dataDir);
    return decision;
  }

  const listed = async () =>
    (await api.http.get(`${V1}/servers?limit=1000`).set(bearer(t.manager)).expect(200)).body.items as Array<{
      id: string;
      hostname: string;
      status: string;
      dependsOn: string[];
      version: number;
    }>;
  const enrolStatus = async (hostname: string) =>
    (await api.http.post(`${V1}/servers`).set(bearer(t.manager)).send(server(hostname))).status;

  beforeAll(async () => {
    api = await startApi();
    dirs.push(api.dataDir);
    paths = { SQLITE_PATH: process.env.SQLITE_PATH!, READ_MODEL_PATH: process.env.READ_MODEL_PATH! };
    t = await createTenant(api);
    await api.http.post(`${V1}/servers`).set(bearer(t.manager)).send(server('db-1')).expect(201);
  });

  afterAll(async () => {
    await api.app.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('an enrolment decided but not recorded on the server stream: the restarted api completes it before answering', async () => {
    const db = (await listed()).find((s) => s.hostname === 'db-1')!;
    const decision = await decideOffline({
      type: 'EnrolServer',
      serverId: randomUUID(),
      tenantId: t.id,
      spec: spec('web-1', { dependsOn: ['db-1'] }),
      now: new Date().toISOString(),
    });
    const web = (await listed()).find((s) => s.hostname === 'web-1');
    expect(web).toMatchObject({ status: 'active', dependsOn: ['db-1'], version: 0 });
    expect(await enrolStatus('web-1')).toBe(409);
    const history = await api.http.get(`${V1}/servers/${web!.id}/history`).set(bearer(t.manager)).expect(200);
    expect(history.body.map((h: { type: string }) => h.type)).toEqual(['ServerEnrolled']);
    const [recorded] = await api.store.readStream(streams.server(t.id, web!.id));
    expect(recorded.metadata).toMatchObject({ causationId: decision.id, actor: 'api-key:crash-test' });
    // The decision also holds for the rules: db-1 now has a dependent.
    const dec = await api.http.delete(`${V1}/servers/${db.id}`).set(bearer(t.manager)).expect(409);
    expect(dec.body.dependents).toEqual(['web-1']);
  });

  it('an import killed after two of its four completions: every server once, none twice', async () => {
    const ids = ['imp-a', 'imp-b', 'imp-c', 'imp-d'].map(() => randomUUID());
    await decideOffline(
      {
        type: 'ImportServers',
        tenantId: t.id,
        rows: ['imp-a', 'imp-b', 'imp-c', 'imp-d'].map((h, i) => ({
          serverId: ids[i],
          spec: spec(h, { dependsOn: i ? ['imp-a'] : [] }),
        })),
        rejected: [],
        now: new Date().toISOString(),
      },
      [ids[0], ids[2]],
    );
    const servers = await listed();
    expect(servers.filter((s) => s.hostname.startsWith('imp-')).map((s) => [s.hostname, s.version])).toEqual([
      ['imp-a', 0],
      ['imp-b', 0],
      ['imp-c', 0],
      ['imp-d', 0],
    ]);
    for (const id of ids) expect(await api.store.readStream(streams.server(t.id, id))).toHaveLength(1);
    expect(await enrolStatus('imp-c')).toBe(409);
  });

  it('a decommission decided but not recorded: the server is decommissioned and its hostname free', async () => {
    const free = randomUUID();
    await decideOffline({
      type: 'EnrolServer',
      serverId: free,
      tenantId: t.id,
      spec: spec('old-1'),
      now: new Date().toISOString(),
    });
    await decideOffline({ type: 'DecommissionServer', serverId: free, now: new Date().toISOString() });
    expect((await listed()).find((s) => s.id === free)?.status).toBe('decommissioned');
    expect(await enrolStatus('old-1')).toBe(201);
    await restart(); // nothing left to complete: a plain restart changes nothing
    expect(
      (await listed())
        .filter((s) => s.hostname === 'old-1')
        .map((s) => s.status)
        .sort(),
    ).toEqual(['active', 'decommissioned']);
  });

  it('a tenant enrolled before registries existed (and a name leaked by the old two-append enrolment) is opened from its server streams', async () => {
    await api.app.close();
    const store = new SqliteEventStore({ path: paths.SQLITE_PATH, clock: new SystemClock() });
    const legacy = randomUUID();
    const legacyId = randomUUID();
    const meta = {
      actor: 'api-key:old',
      role: 'dr-manager',
      tenantId: legacy,
      correlationId: 'old',
      causationId: null,
    };
    await store.append(
      streams.tenant(legacy),
      [
        {
          type: 'TenantCreated',
          data: {
            tenantId: legacy,
            name: 'Legacy',
            customerNumber: `L-${legacy}`,
            domain: 'legacy.example',
            timeZone: 'UTC',
            activationWindow: '24x7',
            notificationWebhookUrl: null,
            at: new Date().toISOString(),
          },
        },
      ],
      { expectedRevision: 'no-stream', metadata: meta },
    );
    const { events } = await new AggregateExecutor(store, estateRegistryDecider)
      .execute(
        `scratch/${legacy}`,
        {
          type: 'EnrolServer',
          serverId: legacyId,
          tenantId: legacy,
          spec: spec('legacy-db'),
          now: new Date().toISOString(),
        },
        meta,
      )
      .then((e) => ({ events: (e[0] as unknown as EstateChangeDecided).data.changes[0].events }));
    await store.append(streams.server(legacy, legacyId), events, {
      expectedRevision: 'no-stream',
      metadata: meta,
    });
    // the old bug: a hostname reserved, its server never written
    await store.append(
      `tenant/${legacy}/hostname/leaked`,
      [{ type: 'HostnameReserved', data: { hostname: 'leaked', serverId: randomUUID() } }],
      {
        expectedRevision: 'no-stream',
        metadata: meta,
      },
    );
    await store.close();
    api = await startApi(paths);
    dirs.push(api.dataDir);
    const key = await api.http
      .post(`${V1}/tenants/${legacy}/api-keys`)
      .set({ Authorization: `Bearer ${process.env.REPRISE_ADMIN_TOKEN}` })
      .send({ name: 'm', role: 'dr-manager' })
      .expect(201);
    const m = bearer(key.body.token);
    await api.http
      .post(`${V1}/servers`)
      .set(m)
      .send(server('leaked', { dependsOn: ['legacy-db'] }))
      .expect(201);
    await api.http.post(`${V1}/servers`).set(m).send(server('legacy-db')).expect(409);
    const opened = await api.store.readStream(streams.estate(legacy));
    expect(opened.map((e) => e.type)).toEqual(['EstateRegistryOpened', 'EstateChangeDecided']);
  });
});
