import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readLog } from '@reprise/audit-log/log-source';
import { fromHex, leafHash, toHex, verifyConsistency, verifyInclusion } from '@reprise/audit-log/merkle';
import { MerkleTreeStore } from '@reprise/audit-log/tree-store';
import { generateSigningKey, signTreeHead, trustedKeys } from '@reprise/audit-log/tree-head';
import { LogVerifier, TREE_HEAD_SIGNED } from '@reprise/audit-log/verify-log';
import { SystemClock } from '@reprise/common/clock/system-clock';
import type { MetadataInput } from '@reprise/event-store/event-store.port';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';

const TENANT = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const VERIFY_EVENTS = 1_000_000;
const TREE_LEAVES = 1_000_000;
const PROOFS = 2_000;
const OVERHEAD_EVENTS = 100_000;

const metadata: MetadataInput = {
  actor: 'system:worker',
  role: 'system',
  tenantId: TENANT,
  correlationId: TENANT,
  causationId: null,
};
const payload = (i: number) => ({
  serverId: `srv-${i % 500}`,
  attempt: 1,
  disk: `disk-${i % 4}`,
  at: '2026-01-01T00:00:00.000Z',
});
const stream = (i: number) => `tenant/${TENANT}/activation/act-${Math.floor(i / 5000)}`;
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000).toLocaleString('en-US');
const pct = (values: number[], p: number) =>
  values.sort((a, b) => a - b)[Math.floor((values.length - 1) * p)];

async function appendBatches(store: SqliteEventStore, count: number, batch = 100, offset = 0): Promise<void> {
  for (let b = 0; b < count / batch; b++) {
    const first = offset + b * batch;
    await store.append(
      stream(first),
      Array.from({ length: batch }, (_, i) => ({ type: 'DiskRestored', data: payload(first + i) })),
      { expectedRevision: 'any', metadata },
    );
  }
}

async function appendConcurrently(store: SqliteEventStore, count: number, inFlight = 256): Promise<void> {
  for (let i = 0; i < count; i += inFlight) {
    const calls = [];
    for (let j = i; j < Math.min(i + inFlight, count); j++)
      calls.push(
        store.append(`tenant/${TENANT}/server/s-${j}`, [{ type: 'ServerEnrolled', data: payload(j) }], {
          expectedRevision: 'no-stream',
          metadata,
        }),
      );
    await Promise.all(calls);
  }
}

/** The signer in a process of its own (bench/support/audit-signer.ts). */
async function startSigner(store: string, trees: string) {
  const child = spawn(
    process.execPath,
    [join(__dirname, 'support', 'audit-signer.js'), store, trees, TENANT],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the signer exited with ${code}`)));
  });
  return {
    stop: () =>
      new Promise<{ heads: number; leaves: number; cpuMs: number }>((resolve) => {
        child.once('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() as string)));
        child.kill('SIGTERM');
      }),
  };
}

/**
 * `npm run bench -- audit`: what the transparency log costs and how fast it answers.
 * 1. append throughput with and without the log (leaf hash at append; the Merkle read model
 *    following in the same process; a head signed every second), side by side;
 * 2. verification of a 1,000,000-event log (every leaf, revision and signed root), as GET /audit/verify;
 * 3. inclusion and consistency proofs on a persisted tree of 1,000,000 leaves: sizes and times.
 * Goals: appends lose at most 15 %, verification at least 200,000 events/s, a proof under 5 ms.
 */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-audit-'));
  const clock = new SystemClock();
  const key = generateSigningKey();
  try {
    console.log(
      `1. Append throughput (SQLite, WAL, synchronous=FULL; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
    );
    console.log(
      '   without: no leaf hash; with the log: leaf hash at append, and the signer process (Merkle tree kept',
    );
    console.log(
      '   from the store, a head signed every second) working on the same file, as the worker does',
    );
    for (const [label, count, write] of [
      ['batches of 100 events', OVERHEAD_EVENTS, (s: SqliteEventStore) => appendBatches(s, OVERHEAD_EVENTS)],
      [
        '1 event/call, 256 concurrent callers',
        OVERHEAD_EVENTS / 5,
        (s: SqliteEventStore) => appendConcurrently(s, OVERHEAD_EVENTS / 5),
      ],
    ] as const) {
      const cpuOf = async (run: () => Promise<void>) => {
        const before = process.cpuUsage();
        await run();
        const used = process.cpuUsage(before);
        return (used.user + used.system) / 1000;
      };
      const plain = new SqliteEventStore({ path: join(dir, `plain-${count}.db`), clock, leafHashes: false });
      let t = performance.now();
      const withoutCpu = await cpuOf(() => write(plain));
      const without = performance.now() - t;
      await plain.close();

      const hashedOnly = new SqliteEventStore({ path: join(dir, `hashed-${count}.db`), clock });
      t = performance.now();
      const hashedCpu = await cpuOf(() => write(hashedOnly));
      const hashed = performance.now() - t;
      await hashedOnly.close();

      const path = join(dir, `logged-${count}.db`);
      const logged = new SqliteEventStore({ path, clock });
      await logged.append(`platform/tenant/${TENANT}`, [{ type: 'TenantCreated', data: {} }], {
        expectedRevision: 'any',
        metadata,
      });
      const signer = await startSigner(path, join(dir, `trees-${count}.db`));
      t = performance.now();
      await write(logged);
      const withLog = performance.now() - t;
      const { heads, leaves, cpuMs: signerCpu } = await signer.stop();
      await logged.close();
      const loss = (ms: number) => `${(((ms - without) / ms) * 100).toFixed(1)} %`;
      console.log(`   ${label}`);
      console.log(`      without the log              ${rate(count, without).padStart(9)} ev/s`);
      console.log(
        `      leaf hash at append          ${rate(count, hashed).padStart(9)} ev/s   loss ${loss(hashed)}`,
      );
      console.log(
        `      leaf hash + signer process   ${rate(count, withLog).padStart(9)} ev/s   loss ${loss(withLog)}   (${heads} heads signed, tree of ${leaves} leaves)   goal: loss <= 15 %`,
      );
      // CPU per event does not depend on how loaded the machine is: the log's cost, measured.
      const us = (ms: number) => ((ms * 1000) / count).toFixed(1);
      console.log(
        `      CPU per event: append ${us(withoutCpu)} µs without the log, ${us(hashedCpu)} µs with the leaf hash (+${(((hashedCpu - withoutCpu) / withoutCpu) * 100).toFixed(1)} %); the signer process ${us(signerCpu)} µs per event (+${((signerCpu / withoutCpu) * 100).toFixed(1)} % of an append, on another process)`,
      );
    }

    console.log(
      `\n2. Verification of a log of ${VERIFY_EVENTS.toLocaleString('en-US')} events (GET /audit/verify's path)`,
    );
    const big = new SqliteEventStore({ path: join(dir, 'big.db'), clock });
    let t = performance.now();
    await appendBatches(big, VERIFY_EVENTS / 2, 1000);
    // A signed head in the middle: its root is checked too.
    const midTree = new MerkleTreeStore(new Database(':memory:'));
    const midLeaves = [];
    for await (const e of readLog(big, [`tenant/${TENANT}/`]))
      midLeaves.push({ log: TENANT, position: e.position, leaf: fromHex(e.hash) });
    midTree.appendMany(midLeaves);
    await big.append(
      `tenant/${TENANT}/audit`,
      [
        {
          type: TREE_HEAD_SIGNED,
          data: {
            ...signTreeHead(
              {
                tenantId: TENANT,
                treeSize: midTree.size(TENANT),
                rootHash: midTree.rootHex(TENANT),
                timestamp: clock.now().toISOString(),
              },
              key,
            ),
            previousTreeSize: 0,
          },
        },
      ],
      { expectedRevision: 'any', metadata },
    );
    await appendBatches(big, VERIFY_EVENTS / 2 - 1, 1000, VERIFY_EVENTS / 2);
    console.log(
      `   (store of ${VERIFY_EVENTS.toLocaleString('en-US')} events written in ${((performance.now() - t) / 1000).toFixed(1)} s)`,
    );
    t = performance.now();
    const cpuBefore = process.cpuUsage();
    const verifier = new LogVerifier({ tenantId: TENANT, keys: trustedKeys([key.publicKey]) });
    for await (const e of readLog(big, [`tenant/${TENANT}/`, `platform/tenant/${TENANT}`])) verifier.add(e);
    const verified = verifier.finish();
    const verifyMs = performance.now() - t;
    const cpu = process.cpuUsage(cpuBefore);
    const verifyCpuMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `   verify ${verified.checkedEvents.toLocaleString('en-US')} events: ${rate(verified.checkedEvents, verifyMs)} events/s wall, ${rate(verified.checkedEvents, verifyCpuMs)} events per CPU second (${(verifyMs / 1000).toFixed(2)} s; load average ${loadavg()[0].toFixed(1)}; valid: ${verified.valid}, heads checked: ${verified.heads.checked})   goal >= 200,000 events/s`,
    );
    await big.close();

    console.log(`\n3. Proofs on a persisted tree of ${TREE_LEAVES.toLocaleString('en-US')} leaves`);
    const treeDb = new Database(join(dir, 'tree.db'));
    treeDb.pragma('journal_mode = WAL');
    treeDb.pragma('synchronous = NORMAL');
    const tree = new MerkleTreeStore(treeDb);
    t = performance.now();
    const fill = treeDb.transaction((from: number, to: number) => {
      const leaves = [];
      for (let i = from; i < to; i++)
        leaves.push({ log: TENANT, position: i + 1, leaf: leafHash(Buffer.from(`event ${i}`)) });
      tree.appendMany(leaves);
    });
    for (let i = 0; i < TREE_LEAVES; i += 50_000) fill(i, i + 50_000);
    console.log(`   (tree built in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
    const root = fromHex(tree.rootHex(TENANT));
    const inclusionMs: number[] = [];
    let inclusionHashes = 0;
    for (let i = 0; i < PROOFS; i++) {
      const index = Math.floor(Math.random() * TREE_LEAVES);
      const start = performance.now();
      const path = tree.inclusionProof(TENANT, index, TREE_LEAVES);
      inclusionMs.push(performance.now() - start);
      inclusionHashes = Math.max(inclusionHashes, path.length);
      if (!verifyInclusion(tree.leafHash(TENANT, index) as Buffer, index, TREE_LEAVES, path, root))
        throw new Error(`inclusion proof of ${index} does not verify`);
    }
    const consistencyMs: number[] = [];
    let consistencyHashes = 0;
    for (let i = 0; i < PROOFS; i++) {
      const from = 1 + Math.floor(Math.random() * (TREE_LEAVES - 1));
      const start = performance.now();
      const proof = tree.consistencyProof(TENANT, from, TREE_LEAVES);
      consistencyMs.push(performance.now() - start);
      consistencyHashes = Math.max(consistencyHashes, proof.length);
      if (!verifyConsistency(from, TREE_LEAVES, fromHex(tree.rootHex(TENANT, from)), root, proof))
        throw new Error(`consistency proof from ${from} does not verify`);
    }
    const show = (name: string, ms: number[], hashes: number) =>
      console.log(
        `   ${name.padEnd(20)} ${hashes} hashes (${hashes * 32} bytes) at most; median ${pct(ms, 0.5).toFixed(3)} ms, p99 ${pct(ms, 0.99).toFixed(3)} ms, max ${Math.max(...ms).toFixed(3)} ms over ${PROOFS} proofs   goal < 5 ms`,
      );
    show('inclusion proof', inclusionMs, inclusionHashes);
    show('consistency proof', consistencyMs, consistencyHashes);
    console.log(`   root of the ${TREE_LEAVES.toLocaleString('en-US')}-leaf tree: ${toHex(root)}`);
    treeDb.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
