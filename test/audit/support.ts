import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fiveServerExample } from '@reprise/domain/report/testing/report-scenarios';
import type { TreeHead } from '@reprise/audit-log/tree-head';
import { verifyExport, type OfflineResult } from '@reprise/audit-log/cli/reprise-verify';
import { startApi, type ApiHarness } from '../support/api-harness';
import { bearer, createTenant, enrol, startStack, type Stack } from '../support/stack';
import { recordActivation } from '../reports/support';
import { waitUntil } from '../activations/activation-helpers';
import type { TenantKeys } from '../support/tenants';

export interface StoredRow {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  hash: string;
  hash_rule: string | null;
}

/** A tenant's events as stored in the SQLite file, in global order. */
export function storedEvents(db: Database.Database, tenantId: string): StoredRow[] {
  return db
    .prepare<[string, string, string], StoredRow>(
      'SELECT position, id, stream, revision, type, data, metadata, hash, hash_rule FROM events WHERE substr(stream, 1, length(?)) = ? OR stream = ? ORDER BY position',
    )
    .all(`tenant/${tenantId}/`, `tenant/${tenantId}/`, `platform/tenant/${tenantId}`);
}

export async function latestHead(api: ApiHarness, token: string): Promise<TreeHead | null> {
  const res = await api.http.get('/api/v1/audit/tree-heads/latest').set(bearer(token));
  return res.status === 200 ? (res.body as TreeHead) : null;
}

/** Waits until a signed head covers every event of the tenant recorded so far (bookkeeping aside). */
export async function waitForHeadCovering(api: ApiHarness, token: string, events: number): Promise<TreeHead> {
  return waitUntil(
    async () => {
      const head = await latestHead(api, token);
      return head && head.treeSize >= events ? head : null;
    },
    `a tree head covering ${events} events`,
    60_000,
  );
}

export interface History {
  /** The directory holding the stopped store: reprise.db, the kept keys, the tree-head sink. */
  dir: string;
  a: TenantKeys;
  b: TenantKeys;
  activationA: string;
  /** A head the auditor kept (end of the first phase). */
  kept: TreeHead;
  publicKeyPem: string;
  signingKeyPem: string;
  webhookHeads: Array<Record<string, unknown>>;
}

/**
 * Runs the real apps (api and worker, heads every second) to record two tenants' histories, with
 * signed heads at activation ends and on the interval, then stops them and keeps the directory.
 */
export async function recordHistory(): Promise<History> {
  const previous = process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS;
  process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS = '1';
  let stack: Stack | null = null;
  try {
    // Real SQLite files: the tamper suite edits them.
    stack = await startStack({ eventStore: 'sqlite' });
    const { api } = stack;
    const a = await createTenant(api, { notificationWebhookUrl: stack.webhook.url });
    const b = await createTenant(api);
    await enrol(api, a.manager, [{ hostname: 'a-db' }, { hostname: 'a-app', dependsOn: ['a-db'] }]);
    await api.http
      .put('/api/v1/plan/authorised-persons')
      .set(bearer(a.manager))
      .send([
        { name: 'Claire Dubois', email: 'claire@a.example', phone: '+33 1 23 45 67 89' },
        { name: 'Marc Petit', email: 'marc@a.example' },
      ])
      .expect(200);
    const activationA = '00000000-0000-4000-8000-00000000000a';
    await recordActivation(api, a.id, activationA, fiveServerExample(activationA, a.id));
    await enrol(api, b.manager, [{ hostname: 'b-db' }]);
    const countA = (await api.http.get('/api/v1/audit/events?limit=1000').set(bearer(a.auditor))).body.items
      .length;
    const kept = await waitForHeadCovering(api, a.auditor, countA);
    // Phase 2: the log grows after the kept head; the next interval signs it.
    await api.http
      .put('/api/v1/plan/authorised-persons')
      .set(bearer(a.manager))
      .send([{ name: 'Claire Dubois', email: 'claire@a.example' }])
      .expect(200);
    await enrol(api, a.manager, [{ hostname: 'a-web', dependsOn: ['a-app'] }]);
    await waitUntil(
      async () => {
        const head = await latestHead(api, a.auditor);
        return head && head.treeSize > kept.treeSize + 2 ? head : null;
      },
      'a second head',
      60_000,
    );
    await waitForHeadCovering(api, b.auditor, 1);
    const publicKeyPem = (await api.http.get('/api/v1/audit/public-key').set(bearer(a.auditor))).body
      .publicKey;
    const webhookHeads = await waitUntil(
      async () => {
        const heads = stack?.webhook.received.filter((x) => x.kind === 'tree-head') ?? [];
        return heads.length >= 2 ? heads : null;
      },
      'the heads at the tenant webhook',
      60_000,
    );
    // Stop the worker, keep a copy of the directory (the store with its WAL), stop the rest.
    await stack.worker?.close();
    stack.worker = null;
    const dir = mkdtempSync(join(tmpdir(), 'reprise-history-'));
    cpSync(api.dataDir, dir, { recursive: true });
    return {
      dir,
      a,
      b,
      activationA,
      kept,
      publicKeyPem,
      signingKeyPem: readFileSync(join(dir, 'audit-signing-key.pem'), 'utf8'),
      webhookHeads,
    };
  } finally {
    if (previous === undefined) delete process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS;
    else process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS = previous;
    await stack?.close();
  }
}

/** A copy of the history's directory, changed by `mutate` on its SQLite file. */
export function tamperedCopy<T>(
  history: History,
  mutate: (db: Database.Database) => T,
): { dir: string; result: T } {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-tampered-'));
  cpSync(history.dir, dir, { recursive: true });
  const db = new Database(join(dir, 'reprise.db'));
  try {
    return { dir, result: db.transaction(() => mutate(db))() };
  } finally {
    db.close();
  }
}

/** The API alone over a store directory, configured with the real signing key (as production is). */
export function apiOver(history: History, dir: string): Promise<ApiHarness> {
  return startApi(
    {
      SQLITE_PATH: join(dir, 'reprise.db'),
      READ_MODEL_PATH: join(dir, `read-models-${Date.now()}.db`),
      AUDIT_SIGNING_KEY: history.signingKeyPem,
      // The recording ran on the simulator's clock; the simulator is gone.
      CLOCK: 'system',
    },
    { eventStore: 'sqlite' },
  );
}

/** Supertest parser collecting the raw body as text (NDJSON, HTML). */
export function asText(res: unknown, done: (err: Error | null, body: unknown) => void): void {
  const stream = res as NodeJS.ReadableStream & { setEncoding(e: string): void };
  let body = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (body += chunk));
  stream.on('end', () => done(null, body));
}

export async function exportOf(api: ApiHarness, token: string): Promise<string> {
  const res = await api.http
    .get('/api/v1/audit/export')
    .set(bearer(token))
    .buffer(true)
    .parse(asText)
    .expect(200);
  return res.body as string;
}

export function offline(
  history: History,
  exported: string,
  keptHeads = [history.kept],
): Promise<OfflineResult> {
  return verifyExport(exported.split('\n'), { publicKeys: [history.publicKeyPem], keptHeads });
}

export function writeFiles(dir: string, files: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    out[name] = join(dir, name);
    writeFileSync(out[name], content);
  }
  return out;
}
