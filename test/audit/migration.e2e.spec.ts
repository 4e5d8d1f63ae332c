import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { validateEnvironment } from '@reprise/common/config/environment';
import { runMigration } from '../../scripts/audit-migrate';
import { admin, bearer } from '../support/tenants';
import { startApi } from '../support/api-harness';
import { startStack, type Stack } from '../support/stack';
import { waitUntil } from '../activations/activation-helpers';

const FIXTURE = join(__dirname, '..', 'fixtures', 'legacy-store-v0.db');
const LEGACY_PERSON = ['Claire Dubois', 'claire.dubois@legacy.example', '+33 1 23 45 67 89'];

/**
 * A store written by Reprise before the transparency log (test/fixtures/legacy-store-v0.db, built
 * by scripts/fixtures/build-legacy-store.ts at 35b5a7d) brought under the log once, on a copy.
 */
describe('migrating a store written before the log (e2e, on a copy of a real pre-log store)', () => {
  const dirs: string[] = [];
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-legacy-'));
    dirs.push(dir);
    copyFileSync(FIXTURE, join(dir, 'reprise.db'));
    return dir;
  };
  const envFor = (dir: string) =>
    validateEnvironment({ NODE_ENV: 'test', SQLITE_PATH: join(dir, 'reprise.db'), LOG_LEVEL: 'silent' });
  const tenantOf = (dir: string) => {
    const db = new Database(join(dir, 'reprise.db'), { readonly: true });
    const row = db
      .prepare("SELECT stream FROM events WHERE stream LIKE 'platform/tenant/%' LIMIT 1")
      .get() as {
      stream: string;
    };
    db.close();
    return row.stream.split('/')[2];
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('serves an unmigrated store as it is: its events verify under the pre-log rule', async () => {
    const dir = copy();
    const api = await startApi(
      { SQLITE_PATH: join(dir, 'reprise.db'), READ_MODEL_PATH: join(dir, 'rm.db') },
      { eventStore: 'sqlite' },
    );
    try {
      const tenantId = tenantOf(dir);
      const key = (
        await api.http
          .post(`/api/v1/tenants/${tenantId}/api-keys`)
          .set(admin)
          .send({ name: 'a', role: 'auditor' })
          .expect(201)
      ).body.token;
      const verify = await api.http.get('/api/v1/audit/verify').set(bearer(key)).expect(200);
      expect(verify.body).toMatchObject({
        valid: true,
        hashRules: { 'reprise-chain/0': verify.body.checkedEvents },
      });
      expect(verify.body.checkedEvents).toBeGreaterThan(40);
    } finally {
      await api.close();
    }
  });

  it('refuses to migrate a store whose pre-log chain is broken, and changes nothing', async () => {
    const dir = copy();
    const file = join(dir, 'reprise.db');
    const db = new Database(file);
    const victim = db.prepare("SELECT position FROM events WHERE type = 'ServerChecked' LIMIT 1").get() as {
      position: number;
    };
    db.prepare("UPDATE events SET data = json_set(data, '$.health', 'failed') WHERE position = ?").run(
      victim.position,
    );
    db.close();
    const rows = () => {
      const reader = new Database(file, { readonly: true });
      const all = reader
        .prepare('SELECT position, stream, revision, data, hash, prev_hash FROM events ORDER BY position')
        .all();
      reader.close();
      return all;
    };
    const before = rows();
    const report = await runMigration(envFor(dir));
    expect(report.refused).toMatchObject({
      seq: victim.position,
      reason: expect.stringContaining('changed'),
    });
    expect(report.migrated).toBe(0);
    expect(rows()).toEqual(before);
  });

  describe('once migrated', () => {
    let dir: string;
    let stack: Stack;
    let tenantId: string;
    let manager: string;
    let auditor: string;

    beforeAll(async () => {
      dir = copy();
      tenantId = tenantOf(dir);
      const report = await runMigration(envFor(dir));
      expect(report.refused).toBeUndefined();
      expect(report.recorded).toEqual([tenantId]);
      expect(report.migrated).toBeGreaterThan(40);
      expect(report.encryptedEvents).toBeGreaterThanOrEqual(4);
      // Once only: a second run finds nothing left to do.
      expect(await runMigration(envFor(dir))).toMatchObject({ migrated: 0, recorded: [] });
      process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS = '1';
      stack = await startStack({
        eventStore: 'sqlite',
        env: { SQLITE_PATH: join(dir, 'reprise.db'), READ_MODEL_PATH: join(dir, 'rm-api.db') },
      });
      const key = async (role: string) =>
        (
          await stack.api.http
            .post(`/api/v1/tenants/${tenantId}/api-keys`)
            .set(admin)
            .send({ name: role, role })
            .expect(201)
        ).body.token as string;
      manager = await key('dr-manager');
      auditor = await key('auditor');
    }, 60_000);
    afterAll(async () => {
      delete process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS;
      await stack?.close();
    }, 30_000);

    it('left no personal data in clear in the file', () => {
      const bytes = readFileSync(join(dir, 'reprise.db'));
      for (const secret of LEGACY_PERSON) expect(bytes.includes(secret)).toBe(false);
    });

    it('is under the log: signed, verified, and an old event says which rule it was hashed under', async () => {
      const head = await waitUntil(
        async () => {
          const res = await stack.api.http.get('/api/v1/audit/tree-heads/latest').set(bearer(auditor));
          return res.status === 200 ? res.body : null;
        },
        'the first signed head',
        30_000,
        100,
      );
      const verify = (await stack.api.http.get('/api/v1/audit/verify').set(bearer(auditor)).expect(200)).body;
      expect(verify).toMatchObject({ valid: true, problems: [] });
      expect(verify.hashRules['reprise-migrated/0']).toBeGreaterThan(40);
      const events = (
        await stack.api.http.get('/api/v1/audit/events?limit=1000').set(bearer(auditor)).expect(200)
      ).body.items;
      expect(events.find((e: { type: string }) => e.type === 'AuditLogMigrated')?.data).toMatchObject({
        fromRule: 'reprise-chain/0',
        toRule: 'reprise-migrated/0',
        chainsVerified: true,
      });
      const old = events.find((e: { type: string }) => e.type === 'AuthorisedPersonsChanged');
      const proof = (
        await stack.api.http
          .get(`/api/v1/audit/proofs/inclusion?seq=${old.seq}`)
          .set(bearer(auditor))
          .expect(200)
      ).body;
      expect(proof).toMatchObject({
        seq: old.seq,
        hashRule: 'reprise-migrated/0',
        hashRuleNote: expect.stringContaining('before the transparency log'),
        verified: true,
      });
      expect(proof.treeSize).toBeLessThanOrEqual(head.treeSize + 10);
      // The legacy personal data is now erasable like any other.
      const plan = (await stack.api.http.get('/api/v1/plan').set(bearer(auditor)).expect(200)).body;
      expect(plan.authorisedPersons[0]).toMatchObject({
        name: 'Claire Dubois',
        email: 'claire.dubois@legacy.example',
      });
      await stack.api.http
        .post('/api/v1/privacy/erasure')
        .set(bearer(manager))
        .send({ email: 'claire.dubois@legacy.example' })
        .expect(200);
      const after = (await stack.api.http.get('/api/v1/plan').set(bearer(auditor)).expect(200)).body;
      expect(after.authorisedPersons[0]).toEqual({ name: 'erased', email: 'erased', phone: 'erased' });
      expect(
        (await stack.api.http.get('/api/v1/audit/verify').set(bearer(auditor)).expect(200)).body.valid,
      ).toBe(true);
    });

    it('reports of activations recorded before the log carry their proof', async () => {
      const activationId = '00000000-0000-4000-8000-000000000001';
      await waitUntil(
        async () => {
          const res = await stack.api.http
            .get(`/api/v1/activations/${activationId}/report`)
            .set(bearer(auditor));
          return res.body.proof?.status === 'verified' ? res.body : null;
        },
        'a verified report',
        30_000,
        200,
      );
      const html = await stack.api.http
        .get(`/api/v1/activations/${activationId}/report?format=html`)
        .set(bearer(auditor))
        .expect(200);
      expect(html.text).toContain('Audit proof');
      expect(html.text).not.toContain('class="integrity-alert"');
    });
  });
});
