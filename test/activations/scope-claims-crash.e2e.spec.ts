import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { SystemClock } from '@reprise/common/clock/system-clock';
import {
  activationDecider,
  claimedServersOf,
  evolveActivation,
  initialActivationState,
  scopeClaimsDecider,
  type Activation,
} from '@reprise/domain/activation';
import { streams } from '@reprise/domain/shared/streams';
import { handleCommand } from '@reprise/event-store/command-handling';
import type { MetadataInput } from '@reprise/event-store/event-store.port';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import { activationSnapshotOf, readTenantEstate } from '@reprise/read-models/estate.queries';
import { startApi, type ApiHarness } from '../support/api-harness';
import { bearer, createTenant, type TenantKeys } from '../support/tenants';

/**
 * The crash between the claim of an activation's servers (the decisive append on the claims
 * stream) and the activation's first event, and between an activation's end and the release of its
 * servers, made deterministic: while the api is down the store is left exactly as a process that
 * died there leaves it; the real api then starts on it. Servers are never claimed forever: the
 * claim is rolled forward into the activation (which can be aborted), the end into the release.
 */
const V1 = '/api/v1';
const CLAIRE = { name: 'Claire Martin', email: 'claire@acme.example' };

describe('activation scope claims survive a crash between their appends (real api, SQLite)', () => {
  let api: ApiHarness;
  let paths: { SQLITE_PATH: string; READ_MODEL_PATH: string };
  let t: TenantKeys;
  const dirs: string[] = [];

  const meta = (): MetadataInput => ({
    actor: 'api-key:crash-test',
    role: 'dr-manager',
    tenantId: t.id,
    correlationId: `req-${randomUUID()}`,
    causationId: null,
  });

  /** While the api is down: what a dying process appended (`work`), then a restart on the same files. */
  async function offline(work: (store: SqliteEventStore) => Promise<void>) {
    await api.app.close();
    const store = new SqliteEventStore({ path: paths.SQLITE_PATH, clock: new SystemClock() });
    try {
      await work(store);
    } finally {
      await store.close();
    }
    api = await startApi(paths);
    dirs.push(api.dataDir);
  }

  const request = (servers: string[]) =>
    api.http
      .post(`${V1}/activations`)
      .set(bearer(t.manager))
      .send({ type: 'test', scope: { servers }, requestedBy: CLAIRE });

  beforeAll(async () => {
    api = await startApi();
    dirs.push(api.dataDir);
    paths = { SQLITE_PATH: process.env.SQLITE_PATH!, READ_MODEL_PATH: process.env.READ_MODEL_PATH! };
    t = await createTenant(api);
    for (const hostname of ['web-1', 'web-2'])
      await api.http
        .post(`${V1}/servers`)
        .set(bearer(t.manager))
        .send({
          hostname,
          kind: 'virtual',
          platform: 'vmware',
          os: { family: 'linux', name: 'Ubuntu', version: '22.04' },
          backupMode: 'agent',
          template: { vcpu: 2, ramGiB: 4 },
          disks: [{ name: 'system', sizeGiB: 40 }],
          protectionClass: 'drp',
        })
        .expect(201);
  });

  afterAll(async () => {
    await api.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('killed after the claim, before the activation was written: the restarted api rolls it forward once, and it can end', async () => {
    const id = randomUUID();
    let claimId = '';
    await offline(async (store) => {
      const estate = (await readTenantEstate(store, t.id)).map(activationSnapshotOf);
      const events = activationDecider.decide(
        {
          type: 'RequestActivation',
          data: {
            activationId: id,
            tenantId: t.id,
            type: 'test',
            scope: { servers: ['web-1'] },
            estate,
            requestedBy: CLAIRE,
            window: { activationWindow: '24x7', timeZone: 'Europe/Paris' },
            at: new Date().toISOString(),
          },
        },
        initialActivationState(),
      );
      const state = events.reduce(evolveActivation, initialActivationState()) as Activation;
      const claim = await handleCommand(
        store,
        streams.activationClaims(t.id),
        scopeClaimsDecider,
        {
          type: 'ClaimScope',
          activationId: id,
          servers: claimedServersOf(state),
          events,
          basedOnRevision: null,
        },
        meta(),
      );
      claimId = claim.events[0].id;
      // ...and nothing more: the process died before the activation's first event
      expect(await store.readStream(streams.activation(t.id, id))).toHaveLength(0);
    });

    const view = await api.http.get(`${V1}/activations/${id}`).set(bearer(t.manager)).expect(200);
    expect(view.body).toMatchObject({ status: 'running', scope: { requested: ['web-1'] } });
    const recorded = await api.store.readStream(streams.activation(t.id, id));
    expect(recorded.map((e) => e.type)).toEqual(['ActivationRequested', 'ActivationStarted']);
    expect(recorded.every((e) => e.metadata.causationId === claimId)).toBe(true);

    const refused = await request(['web-1', 'web-2']).expect(409);
    expect(refused.body).toMatchObject({ code: 'activation-overlap', servers: ['web-1'], activationId: id });
    await api.http
      .post(`${V1}/activations/${id}/abort`)
      .set(bearer(t.manager))
      .send({ reason: 'crash test' })
      .expect(200);
    const next = await request(['web-1', 'web-2']).expect(202);
    await api.http
      .post(`${V1}/activations/${next.body.id}/abort`)
      .set(bearer(t.manager))
      .send({ reason: 'crash test' })
      .expect(200);
  });

  it('killed after an activation ended, before its servers were released: the restarted api releases them', async () => {
    const started = await request(['web-2']).expect(202);
    const id = started.body.id as string;
    await offline(async (store) => {
      await handleCommand(
        store,
        streams.activation(t.id, id),
        activationDecider,
        {
          type: 'AbortActivation',
          data: { reason: 'died right after', by: CLAIRE, at: new Date().toISOString() },
        },
        meta(),
      );
    });
    const claims = await api.store.readStream(streams.activationClaims(t.id));
    const releases = claims.filter(
      (e) => e.type === 'ScopeClaimsReleased' && (e.data as { activationId: string }).activationId === id,
    );
    expect(releases).toHaveLength(1);
    const again = await request(['web-2']).expect(202);
    await api.http
      .post(`${V1}/activations/${again.body.id}/abort`)
      .set(bearer(t.manager))
      .send({ reason: 'crash test' })
      .expect(200);
  });
});
