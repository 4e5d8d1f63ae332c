import type { INestApplication } from '@nestjs/common';
import { RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import type { TreeHeadSignedData } from '@reprise/audit-log/verify-log';
import { bearer, createTenant, enrol, startStack, type Stack } from '../support/stack';
import { waitUntil } from '../activations/activation-helpers';

/**
 * Two workers sign the tenants' tree heads at once (issue 14 runs worker replicas): heads are
 * appended with the audit stream's expected revision, so no tree size is signed twice and each
 * head extends the one before it.
 */
describe('tree heads signed by two workers at once (e2e, one SQLite store)', () => {
  let stack: Stack;
  let second: INestApplication;

  beforeAll(async () => {
    process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS = '1';
    stack = await startStack();
    const { createWorkerApp } = await import('../../apps/worker/src/worker.app');
    second = await createWorkerApp({ logger: false });
    await second.init();
  }, 60_000);
  afterAll(async () => {
    delete process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS;
    await second?.close();
    await stack?.close();
  }, 30_000);

  it('never signs one size twice, and every head extends the previous one', async () => {
    const t = await createTenant(stack.api);
    for (let round = 0; round < 6; round++) {
      await enrol(stack.api, t.manager, [{ hostname: `sig-${round}` }]);
      await new Promise((r) => setTimeout(r, 400));
    }
    const raw = stack.api.app.get<EventStore>(RAW_EVENT_STORE);
    const heads = await waitUntil(
      async () => {
        const audit = await raw.readStream(`tenant/${t.id}/audit`);
        const signed = audit
          .filter((e) => e.type === 'TreeHeadSigned')
          .map((e) => e.data as TreeHeadSignedData);
        return signed.length >= 3 ? signed : null;
      },
      'three signed heads',
      30_000,
      200,
    );
    const sizes = heads.map((h) => h.treeSize);
    expect(new Set(sizes).size).toBe(sizes.length);
    heads.forEach((h, i) => {
      if (i > 0) expect(h.treeSize).toBeGreaterThan(heads[i - 1].treeSize);
      expect(h.previousTreeSize).toBe(i === 0 ? 0 : heads[i - 1].treeSize);
    });
    const verify = await stack.api.http.get('/api/v1/audit/verify').set(bearer(t.auditor)).expect(200);
    expect(verify.body).toMatchObject({ valid: true, problems: [] });
    expect(verify.body.heads.checked).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
