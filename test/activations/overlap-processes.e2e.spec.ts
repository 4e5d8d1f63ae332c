import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { testStore, type TestEventStore, type TestStore } from '../support/event-store';
import { appEntry } from '../support/processes';
import { deleteQueueKeys, testQueuePrefix } from '../support/redis-keys';

/**
 * The overlap rule across api processes: two real api processes (the built app) on one event store,
 * two overlapping requests sent to them at the same instant, round after round: exactly one 202, the
 * other 409 naming the servers in conflict; disjoint scopes both start. Nothing in process memory
 * can decide this: only the claims stream's expected revision.
 */
const ADMIN = 'overlap-admin-token-0123456789';
const ROUNDS = 6;
const CLAIRE = { name: 'Claire Martin', email: 'claire@acme.example' };

describe.each(['sqlite', 'postgres'] as TestEventStore[])(
  'overlap rule across two api processes (%s)',
  (kind) => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-overlap-'));
    const queuePrefix = testQueuePrefix('overlap');
    let store: TestStore;
    const apis: ApiProcess[] = [];
    let token = '';

    const startApi = async (name: string) =>
      apis.push(
        await spawnApi({
          SQLITE_PATH: join(dir, 'reprise.db'),
          ...store.env,
          READ_MODEL_PATH: join(dir, `read-models-${name}.db`),
          REPRISE_ADMIN_TOKEN: ADMIN,
          QUEUE_PREFIX: queuePrefix,
        }),
      );
    const call = (api: number, method: string, path: string, body?: unknown, auth = token) =>
      apis[api].call(method, path, body, auth);
    const test = (servers: string[]) => ({ type: 'test', scope: { servers }, requestedBy: CLAIRE });
    const abort = async (id: string) =>
      expect((await call(0, 'POST', `/activations/${id}/abort`, { reason: 'round over' })).status).toBe(200);

    beforeAll(async () => {
      if (!existsSync(appEntry('api'))) throw new Error('build first: npm run build (npm test does)');
      store = testStore(dir, kind);
      await startApi('a');
      await startApi('b');
      const tenant = await call(
        0,
        'POST',
        '/tenants',
        { name: 'Overlap', customerNumber: `OV-${process.pid}-${kind}`, domain: 'overlap.example' },
        ADMIN,
      );
      const key = await call(
        0,
        'POST',
        `/tenants/${tenant.body.id}/api-keys`,
        { name: 'm', role: 'dr-manager' },
        ADMIN,
      );
      token = key.body.token as string;
      for (const hostname of ['web-1', 'web-2', 'web-3', 'web-4']) {
        const res = await call(0, 'POST', '/servers', {
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
      // the second process knows the estate too
      for (const start = Date.now(); ;) {
        const listed = await call(1, 'GET', '/servers');
        if ((listed.body.total as number) === 4) break;
        if (Date.now() - start > 10_000) throw new Error('api b does not see the estate');
        await new Promise((r) => setTimeout(r, 50));
      }
    }, 90_000);

    afterAll(async () => {
      await Promise.all(apis.map((api) => api.kill('SIGTERM')));
      await store?.drop();
      rmSync(dir, { recursive: true, force: true });
      await deleteQueueKeys(queuePrefix);
    });

    it(`${ROUNDS} rounds of two overlapping requests at the same instant on two processes: exactly one 202, the other 409 naming the server`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const [one, two] = await Promise.all([
          call(0, 'POST', '/activations', test(['web-1', 'web-2'])),
          call(1, 'POST', '/activations', test(['web-2', 'web-3'])),
        ]);
        const statuses = [one.status, two.status].sort();
        expect(statuses).toEqual([202, 409]);
        const [won, lost] = one.status === 202 ? [one, two] : [two, one];
        expect(won.body.status).toBe('running');
        expect(lost.body).toMatchObject({
          code: 'activation-overlap',
          servers: ['web-2'],
          activationId: won.body.id,
        });
        expect(lost.body.detail).toContain('web-2');
        await abort(won.body.id as string);
      }
      // every refused request changed nothing: one activation per round
      const listed = await call(1, 'GET', '/activations');
      expect(listed.body.items).toHaveLength(ROUNDS);
    }, 120_000);

    it('two disjoint requests at the same instant on two processes both start; a third overlapping both is refused naming both', async () => {
      const [one, two] = await Promise.all([
        call(0, 'POST', '/activations', test(['web-1'])),
        call(1, 'POST', '/activations', test(['web-3'])),
      ]);
      expect([one.status, two.status]).toEqual([202, 202]);
      const third = await call(1, 'POST', '/activations', test(['web-1', 'web-3', 'web-4']));
      expect(third.status).toBe(409);
      expect(third.body).toMatchObject({ code: 'activation-overlap', servers: ['web-1', 'web-3'] });
      expect(
        (third.body.activations as Array<{ activationId: string }>).map((a) => a.activationId).sort(),
      ).toEqual([one.body.id, two.body.id].sort());
      // an ended activation frees its servers at once, on the other process too
      await abort(one.body.id as string);
      const again = await call(1, 'POST', '/activations', test(['web-1', 'web-4']));
      expect(again.status).toBe(202);
      await abort(two.body.id as string);
      await abort(again.body.id as string);
    }, 60_000);
  },
);
