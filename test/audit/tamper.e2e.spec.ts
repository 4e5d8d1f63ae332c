import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { leafHashOfParts, LEAF_RULE, type HashRule } from '@reprise/audit-log/leaf';
import { fromHex, MemoryTree, rootOf, toHex } from '@reprise/audit-log/merkle';
import { generateSigningKey, signTreeHead } from '@reprise/audit-log/tree-head';
import { TREE_HEAD_SIGNED, type TreeHeadSignedData } from '@reprise/audit-log/verify-log';
import type { OfflineResult } from '@reprise/audit-log/cli/reprise-verify';
import { ROOT } from '../support/processes';
import { bearer } from '../support/tenants';
import {
  apiOver,
  exportOf,
  offline,
  recordHistory,
  storedEvents,
  tamperedCopy,
  writeFiles,
  type History,
  type StoredRow,
} from './support';

const leafOf = (
  r: Pick<StoredRow, 'id' | 'stream' | 'revision' | 'type' | 'data' | 'metadata' | 'hash_rule'>,
) =>
  leafHashOfParts(
    (r.hash_rule as HashRule) ?? LEAF_RULE,
    r.id,
    r.stream,
    r.revision,
    r.type,
    r.data,
    r.metadata,
  );

/** What the attacker with the file and no key does after an edit: every stored hash recomputed. */
function recomputeStoredHashes(db: Database.Database): void {
  const rows = db
    .prepare<[], StoredRow>(
      'SELECT position, id, stream, revision, type, data, metadata, hash, hash_rule FROM events',
    )
    .all();
  const update = db.prepare('UPDATE events SET hash = ? WHERE position = ?');
  for (const row of rows) if (row.hash_rule === null) update.run(leafOf(row), row.position);
}

interface Verdicts {
  api: Record<string, unknown>;
  offline: OfflineResult;
}

/**
 * Every manipulation of issue 10's table (and reorder, truncate, a replaced signing key), each on a
 * copy of a real SQLite store recorded by the real apps, checked by `GET /audit/verify` and by the
 * offline verifier on the export, with the head the auditor kept.
 */
describe('tampering with the store (e2e, real SQLite files)', () => {
  let history: History;
  let pristine: StoredRow[];
  const dirs: string[] = [];

  beforeAll(async () => {
    history = await recordHistory();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(history.dir, 'reprise.db'), { readonly: true });
    pristine = storedEvents(db, history.a.id);
    db.close();
  }, 180_000);
  afterAll(() => {
    for (const dir of [history?.dir, ...dirs]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const activationStream = () => `tenant/${history.a.id}/activation/${history.activationA}`;
  const leafIndexOf = (position: number) => pristine.findIndex((e) => e.position === position);

  async function verdicts(mutate: (db: Database.Database) => void, tenant = history.a): Promise<Verdicts> {
    const { dir } = tamperedCopy(history, mutate);
    dirs.push(dir);
    const api = await apiOver(history, dir);
    try {
      const res = await api.http.get('/api/v1/audit/verify').set(bearer(tenant.auditor)).expect(200);
      const exported = await exportOf(api, tenant.auditor);
      return {
        api: res.body,
        offline: await offline(history, exported, tenant === history.a ? [history.kept] : []),
      };
    } finally {
      await api.close();
    }
  }

  /** Both verifiers say not valid and name the same first bad event. */
  function expectDetected(v: Verdicts, expected: Record<string, unknown>): void {
    expect(v.api).toMatchObject({ valid: false, ...expected });
    expect(v.offline.valid).toBe(false);
    expect(v.offline.firstInvalid?.leafIndex).toBe(v.api.leafIndex);
    expect(v.offline.firstInvalid?.seq ?? undefined).toBe(v.api.firstInvalidSeq);
  }

  it('verifies the untouched store, online, offline and with the real CLI', async () => {
    const v = await verdicts(() => undefined);
    expect(v.api).toMatchObject({ valid: true, checkedEvents: pristine.length, problems: [] });
    expect((v.api.heads as { checked: number }).checked).toBeGreaterThanOrEqual(2);
    expect(v.offline).toMatchObject({ valid: true, checkedEvents: pristine.length });
    expect(v.offline.keptHeads).toEqual([
      { treeSize: history.kept.treeSize, rootHash: history.kept.rootHash, valid: true },
    ]);
    expect(v.offline.consistencyProofs.checked).toBeGreaterThanOrEqual(1);
    expect(v.offline.consistencyProofs.failed).toEqual([]);
    // The heads reached the tenant's webhook too, signed.
    expect(history.webhookHeads[0]).toMatchObject({
      kind: 'tree-head',
      tenantId: history.a.id,
      signature: expect.any(String),
    });
  });

  it('the CLI (npx reprise-verify) checks an export offline and names the first bad event', async () => {
    const bin = join(ROOT, 'bin', 'reprise-verify.js');
    if (!existsSync(join(ROOT, 'dist', 'libs', 'audit-log', 'src', 'cli', 'reprise-verify.js')))
      throw new Error('build first (npm test runs `npm run build` before jest)');
    const work = mkdtempSync(join(tmpdir(), 'reprise-cli-'));
    dirs.push(work);
    const target = pristine.find((e) => e.type === 'ServerChecked') as StoredRow;
    const run = async (mutate: (db: Database.Database) => void) => {
      const { dir } = tamperedCopy(history, mutate);
      dirs.push(dir);
      const api = await apiOver(history, dir);
      try {
        const files = writeFiles(work, {
          [`export-${randomUUID()}.ndjson`]: await exportOf(api, history.a.auditor),
          'key.pem': history.publicKeyPem,
          'head.json': JSON.stringify(history.kept),
        });
        const [exportFile] = Object.values(files);
        return spawnSync(
          process.execPath,
          [bin, exportFile, '--public-key', files['key.pem'], '--head', files['head.json']],
          {
            encoding: 'utf8',
          },
        );
      } finally {
        await api.close();
      }
    };
    const good = await run(() => undefined);
    expect(good.stdout).toContain('VALID');
    expect(good.status).toBe(0);
    const bad = await run((db) =>
      db
        .prepare("UPDATE events SET data = json_set(data, '$.detail', 'tampered') WHERE position = ?")
        .run(target.position),
    );
    expect(bad.stdout).toContain(`first bad event: seq ${target.position}`);
    expect(bad.status).toBe(1);
    const usage = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: reprise-verify');
  });

  it('serves proofs: inclusion and consistency (RFC 9162), a kept head checked, bad input refused', async () => {
    const { dir } = tamperedCopy(history, () => undefined);
    dirs.push(dir);
    const api = await apiOver(history, dir);
    try {
      const get = (path: string) => api.http.get(`/api/v1/audit${path}`).set(bearer(history.a.auditor));
      const latest = (await get('/tree-heads/latest').expect(200)).body;
      const heads = (await get('/tree-heads').expect(200)).body.items;
      expect(heads.at(-1)).toMatchObject(latest);
      expect(heads.map((h: { treeSize: number }) => h.treeSize)).toEqual(
        [...heads.map((h: { treeSize: number }) => h.treeSize)].sort((x: number, y: number) => x - y),
      );
      const event = pristine.find((e) => e.type === 'ServerChecked') as StoredRow;
      const proof = (await get(`/proofs/inclusion?seq=${event.position}`).expect(200)).body;
      expect(proof).toMatchObject({
        seq: event.position,
        leafIndex: leafIndexOf(event.position),
        treeSize: latest.treeSize,
        leafHash: event.hash,
        rootHash: latest.rootHash,
        hashRule: 'reprise-leaf/1',
        verified: true,
      });
      // Checked here against the RFC's own algorithm, with only the proof and the signed head.
      const { verifyInclusion } = await import('@reprise/audit-log/merkle');
      expect(
        verifyInclusion(
          fromHex(proof.leafHash),
          proof.leafIndex,
          proof.treeSize,
          proof.auditPath.map(fromHex),
          fromHex(latest.rootHash),
        ),
      ).toBe(true);
      const consistency = (
        await get(`/proofs/consistency?from=${history.kept.treeSize}&to=${latest.treeSize}`).expect(200)
      ).body;
      const { verifyConsistency } = await import('@reprise/audit-log/merkle');
      expect(
        verifyConsistency(
          history.kept.treeSize,
          latest.treeSize,
          fromHex(history.kept.rootHash),
          fromHex(latest.rootHash),
          consistency.proof.map(fromHex),
        ),
      ).toBe(true);
      // The auditor's kept head: today's log is consistent with it; a forged one is refused.
      const kept = await api.http
        .post('/api/v1/audit/verify')
        .set(bearer(history.a.auditor))
        .send(history.kept)
        .expect(200);
      expect(kept.body).toMatchObject({
        valid: true,
        treeSize: history.kept.treeSize,
        latestTreeHead: latest,
      });
      const forged = await api.http
        .post('/api/v1/audit/verify')
        .set(bearer(history.a.auditor))
        .send({ ...history.kept, rootHash: '0'.repeat(64) })
        .expect(200);
      expect(forged.body).toMatchObject({ valid: false, reason: expect.stringContaining('signature') });
      const otherTenant = await api.http
        .post('/api/v1/audit/verify')
        .set(bearer(history.b.auditor))
        .send(history.kept)
        .expect(200);
      expect(otherTenant.body.valid).toBe(false);
      // Bad input: 400 naming the field, never 500.
      for (const [path, field] of [
        ['/proofs/inclusion', 'seq'],
        ['/proofs/inclusion?seq=abc', 'seq'],
        ['/proofs/inclusion?seq=0', 'seq'],
        ['/proofs/consistency?from=5', 'to'],
        ['/proofs/consistency?from=9&to=3', 'from'],
        [`/proofs/consistency?from=0&to=${latest.treeSize + 1000}`, 'to'],
        ['/tree-heads?limit=0', 'limit'],
      ]) {
        const res = await get(path).expect(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      await get('/proofs/inclusion?seq=999999').expect(404);
      const b = (
        await api.http.get('/api/v1/audit/events?limit=1').set(bearer(history.b.auditor)).expect(200)
      ).body.items[0];
      await get(`/proofs/inclusion?seq=${b.seq}`).expect(404);
      for (const body of [
        {},
        [],
        { ...history.kept, treeSize: -1 },
        { ...history.kept, signature: 'x' },
        'head',
      ]) {
        const res = await api.http
          .post('/api/v1/audit/verify')
          .set(bearer(history.a.auditor))
          .send(body as object);
        // A JSON body that is not a tree head is 400; a body that is not JSON at all, 415.
        expect([400, 415]).toContain(res.status);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
      }
      const key = (await get('/public-key').expect(200)).body;
      expect(key).toMatchObject({
        keyId: latest.keyId,
        algorithm: 'Ed25519',
        publicKey: history.publicKeyPem,
      });
    } finally {
      await api.close();
    }
  });

  it('an altered activation: its report says so in red, at the top', async () => {
    const target = pristine.find((e) => e.type === 'ServerStepFailed') as StoredRow;
    const { dir } = tamperedCopy(history, (db) =>
      db
        .prepare("UPDATE events SET data = json_set(data, '$.reason', 'operator error') WHERE position = ?")
        .run(target.position),
    );
    dirs.push(dir);
    const api = await apiOver(history, dir);
    try {
      const path = `/api/v1/activations/${history.activationA}/report`;
      const json = (await api.http.get(path).set(bearer(history.a.auditor)).expect(200)).body;
      expect(json.proof).toMatchObject({
        status: 'invalid',
        problem: expect.stringContaining(`event ${target.position}`),
      });
      const html = (await api.http.get(`${path}?format=html`).set(bearer(history.a.auditor)).expect(200))
        .text;
      const alert = html.indexOf('class="integrity-alert"');
      expect(alert).toBeGreaterThan(-1);
      expect(alert).toBeLessThan(html.indexOf('<h1>'));
      expect(html).toContain('do not verify against the signed audit log');
    } finally {
      await api.close();
    }
    // The untouched store's report verifies.
    const { dir: clean } = tamperedCopy(history, () => undefined);
    dirs.push(clean);
    const ok = await apiOver(history, clean);
    try {
      const json = (
        await ok.http
          .get(`/api/v1/activations/${history.activationA}/report`)
          .set(bearer(history.a.auditor))
          .expect(200)
      ).body;
      expect(json.proof).toMatchObject({ status: 'verified', inclusion: { verified: true } });
    } finally {
      await ok.close();
    }
  });

  it("an event's data edited: found exactly", async () => {
    // A server's failure rewritten: the restore did not fail after all, the operator erred.
    const target = pristine.find((e) => e.type === 'ServerStepFailed') as StoredRow;
    const v = await verdicts((db) =>
      db
        .prepare('UPDATE events SET data = ? WHERE position = ?')
        .run(JSON.stringify({ ...JSON.parse(target.data), reason: 'operator error' }), target.position),
    );
    expectDetected(v, {
      firstInvalidSeq: target.position,
      located: 'exact',
      reason: expect.stringContaining('changed'),
    });
  });

  it("two events' data swapped: found exactly at the first", async () => {
    const [x, y] = pristine.filter((e) => e.type === 'ServerChecked');
    const v = await verdicts((db) => {
      const update = db.prepare('UPDATE events SET data = ? WHERE position = ?');
      update.run(y.data, x.position);
      update.run(x.data, y.position);
    });
    expectDetected(v, { firstInvalidSeq: x.position, located: 'exact' });
  });

  it('a mid-stream event moved to another stream: found exactly', async () => {
    const moved = pristine.filter((e) => e.stream === activationStream())[5];
    const v = await verdicts((db) =>
      db
        .prepare('UPDATE events SET stream = ?, revision = 0 WHERE position = ?')
        .run(`tenant/${history.a.id}/activation/${randomUUID()}`, moved.position),
    );
    expectDetected(v, { firstInvalidSeq: moved.position, located: 'exact' });
  });

  it('a one-event stream renamed inside the tenant: found exactly', async () => {
    const counts = new Map<string, number>();
    for (const e of pristine) counts.set(e.stream, (counts.get(e.stream) ?? 0) + 1);
    const lonely = pristine.find(
      (e) => counts.get(e.stream) === 1 && e.stream.includes('/server/'),
    ) as StoredRow;
    const v = await verdicts((db) =>
      db
        .prepare('UPDATE events SET stream = ? WHERE position = ?')
        .run(`tenant/${history.a.id}/server/${randomUUID()}`, lonely.position),
    );
    expectDetected(v, { firstInvalidSeq: lonely.position, located: 'exact' });
  });

  it('a one-event stream moved into another tenant: both tenants find it', async () => {
    const counts = new Map<string, number>();
    for (const e of pristine) counts.set(e.stream, (counts.get(e.stream) ?? 0) + 1);
    const lonely = pristine.find(
      (e) => counts.get(e.stream) === 1 && e.stream.includes('/server/'),
    ) as StoredRow;
    const move = (db: Database.Database) =>
      db
        .prepare('UPDATE events SET stream = ? WHERE position = ?')
        .run(lonely.stream.replace(history.a.id, history.b.id), lonely.position);
    // A lost a leaf its signed head covers: the head's interval leaves say which.
    const inA = await verdicts(move);
    expectDetected(inA, {
      located: 'exact',
      leafIndex: leafIndexOf(lonely.position),
      reason: expect.stringContaining('removed'),
    });
    // B gained an event that is not its own.
    const inB = await verdicts(move, history.b);
    expect(inB.api).toMatchObject({ valid: false, firstInvalidSeq: lonely.position, located: 'exact' });
    expect(inB.offline.firstInvalid?.seq).toBe(lonely.position);
  });

  it('the last event of a stream deleted: found exactly', async () => {
    const last = pristine.filter((e) => e.stream === activationStream()).at(-1) as StoredRow;
    const v = await verdicts((db) => db.prepare('DELETE FROM events WHERE position = ?').run(last.position));
    expectDetected(v, {
      located: 'exact',
      leafIndex: leafIndexOf(last.position),
      reason: expect.stringContaining('removed'),
    });
  });

  it('a whole stream deleted (an activation): found exactly at its first event', async () => {
    const first = pristine.find((e) => e.stream === activationStream()) as StoredRow;
    const v = await verdicts((db) =>
      db.prepare('DELETE FROM events WHERE stream = ?').run(activationStream()),
    );
    expectDetected(v, {
      located: 'exact',
      leafIndex: leafIndexOf(first.position),
      reason: expect.stringContaining('removed'),
    });
  });

  it('every hash recomputed after an edit: found exactly, by the signed head', async () => {
    const target = pristine.find((e) => e.type === 'ServerChecked') as StoredRow;
    const v = await verdicts((db) => {
      db.prepare("UPDATE events SET data = json_set(data, '$.detail', 'all fine') WHERE position = ?").run(
        target.position,
      );
      recomputeStoredHashes(db);
    });
    expectDetected(v, {
      firstInvalidSeq: target.position,
      located: 'exact',
      reason: expect.stringContaining('recomputed'),
    });
  });

  it("every hash recomputed and the heads' leaf lists rewritten: found between two signed heads", async () => {
    const target = pristine.find((e) => e.type === 'ServerChecked') as StoredRow;
    const v = await verdicts((db) => {
      db.prepare("UPDATE events SET data = json_set(data, '$.detail', 'all fine') WHERE position = ?").run(
        target.position,
      );
      recomputeStoredHashes(db);
      rewriteHeads(db, history, { resign: false });
      recomputeStoredHashes(db);
    });
    expect(v.api).toMatchObject({ valid: false, located: 'between-heads' });
    const range = v.api.range as { fromSeq: number; toSeq: number };
    expect(range.fromSeq).toBeLessThanOrEqual(target.position);
    expect(range.toSeq).toBeGreaterThanOrEqual(target.position);
    expect(v.offline.valid).toBe(false);
    expect(v.offline.firstInvalid?.range?.fromSeq).toBeLessThanOrEqual(target.position);
  });

  it('two events reordered: found exactly', async () => {
    // Two neighbours of different streams swap places in the global order.
    const i = pristine.findIndex(
      (e, k) => k > 0 && e.stream !== pristine[k - 1].stream && e.position === pristine[k - 1].position + 1,
    );
    const [x, y] = [pristine[i - 1], pristine[i]];
    const v = await verdicts((db) => {
      const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
      move.run(-1, x.position);
      move.run(x.position, y.position);
      move.run(y.position, -1);
    });
    expectDetected(v, {
      located: 'exact',
      leafIndex: i - 1,
      reason: expect.stringMatching(/swapped|reordered/),
    });
  });

  it('the store truncated: found, from the heads kept outside it', async () => {
    const cut = pristine[history.kept.treeSize - 5];
    const v = await verdicts((db) => db.prepare('DELETE FROM events WHERE position > ?').run(cut.position));
    const left = pristine.filter((e) => e.position <= cut.position).length;
    expect(v.api).toMatchObject({
      valid: false,
      leafIndex: left,
      reason: expect.stringContaining('truncated'),
    });
    expect(v.offline).toMatchObject({
      valid: false,
      firstInvalid: { leafIndex: left, reason: expect.stringContaining('truncated') },
    });
    expect(v.offline.keptHeads[0].valid).toBe(false);
  });

  it('the signing key replaced (history recomputed and every head signed again): found', async () => {
    const target = pristine.find((e) => e.type === 'ServerChecked') as StoredRow;
    const v = await verdicts((db) => {
      db.prepare("UPDATE events SET data = json_set(data, '$.detail', 'all fine') WHERE position = ?").run(
        target.position,
      );
      recomputeStoredHashes(db);
      rewriteHeads(db, history, { resign: true });
      recomputeStoredHashes(db);
    });
    expect(v.api.valid).toBe(false);
    const reasons = (v.api.problems as { reason: string }[]).map((p) => p.reason).join('\n');
    expect(reasons).toContain('not a trusted key');
    // The heads kept outside the store (sink) and by the auditor still point at the changes: the
    // first head event the attacker re-signed, and the edited event, each between two real heads.
    const firstHead = pristine.find((e) => e.type === TREE_HEAD_SIGNED) as StoredRow;
    const ranges = (v.api.problems as { range?: { fromSeq: number; toSeq: number } }[]).flatMap((p) =>
      p.range ? [p.range] : [],
    );
    const covers = (seq: number) => ranges.some((r) => r.fromSeq <= seq && seq <= r.toSeq);
    expect(covers(firstHead.position)).toBe(true);
    expect(covers(target.position)).toBe(true);
    expect(v.api.firstInvalidSeq).toBeLessThanOrEqual(firstHead.position);
    expect(v.offline.valid).toBe(false);
    expect(v.offline.problems.map((p) => p.reason).join('\n')).toContain('not a trusted key');
    expect(v.offline.keptHeads[0].valid).toBe(false);
  });
});

/**
 * The attacker's rewrite of tenant A's head events over the changed log: roots and interval leaves
 * recomputed; with `resign`, signed again with a key of their own (they do not have the real one).
 */
function rewriteHeads(db: Database.Database, history: History, options: { resign: boolean }): void {
  const attacker = generateSigningKey();
  const rows = storedEvents(db, history.a.id);
  const leaves = rows.map((r) => fromHex(leafOf(r)));
  const tree = new MemoryTree([...leaves]);
  const update = db.prepare('UPDATE events SET data = ? WHERE position = ?');
  for (const row of rows.filter((r) => r.type === TREE_HEAD_SIGNED)) {
    const head = JSON.parse(row.data) as TreeHeadSignedData;
    const interval = Buffer.concat(leaves.slice(head.previousTreeSize, head.treeSize)).toString('base64');
    const rootHash = toHex(rootOf(tree, head.treeSize));
    const signed = options.resign
      ? signTreeHead(
          { tenantId: head.tenantId, treeSize: head.treeSize, rootHash, timestamp: head.timestamp },
          attacker,
        )
      : head;
    update.run(JSON.stringify({ ...head, ...signed, intervalLeaves: interval }), row.position);
  }
}
