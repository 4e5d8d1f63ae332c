import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readLogPages } from '@reprise/audit-log/log-source';
import { fromHex, leafHash, toHex, verifyConsistency, verifyInclusion } from '@reprise/audit-log/merkle';
import { MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { MerkleTreeStore } from '@reprise/audit-log/tree-store';
import { generateSigningKey, signTreeHead, trustedKeys } from '@reprise/audit-log/tree-head';
import { TREE_HEAD_SIGNED, verifyLogPages } from '@reprise/audit-log/verify-log';
import { SystemClock } from '@reprise/common/clock/system-clock';
import type { MetadataInput } from '@reprise/event-store/event-store.port';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import { loadAverage } from './support/machine';
import { median, percentile } from './support/stats';

const TENANT = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const VERIFY_EVENTS = 1_000_000;
const TREE_LEAVES = 1_000_000;
const PROOFS = 2_000;
/** Events per run (batches of 100; half of it one event per call). */
const OVERHEAD_EVENTS = 20_000;
/** Interleaved rounds: each subject once per round, in a rotating order; figures are medians. */
const APPEND_ROUNDS = 7;
const VERIFY_ROUNDS = 3;

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
const percent = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

/** Wall and CPU milliseconds (this process) of one run. */
async function measure<T>(work: () => Promise<T>): Promise<{ wallMs: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, value };
}

/** The subjects of a round, rotated so that none always runs first (or right after another). */
const rotated = <T>(subjects: T[], round: number): T[] =>
  subjects.map((_, i) => subjects[(i + round) % subjects.length]);

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
 * `npm run bench -- audit`: what the transparency log costs and how fast it answers, each figure
 * beside a baseline measured in the same run, interleaved with it (the machine is shared: the load
 * average is printed with every section, and CPU time per event, which load changes far less than
 * wall time, is given beside events per wall-second).
 * 1. append throughput without the log, with the leaf hash at append, and with the signer process
 *    (the Merkle tree kept from the store, a head signed every second) on the same file;
 * 2. verification of a 1,000,000-event log (every leaf, revision and signed root, GET /audit/verify's
 *    path), beside reading the same rows and reading them plus one sha256 of their text;
 * 3. inclusion and consistency proofs on a persisted tree of 1,000,000 leaves, beside as many point
 *    reads of random leaves as a proof has hashes.
 * Goals: appends lose at most 15 %, verification at least 200,000 events/s, a proof under 5 ms.
 */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-audit-'));
  const clock = new SystemClock();
  const key = generateSigningKey();
  try {
    await appendOverhead(dir, clock);
    await verification(dir, clock, key);
    proofs(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Subject = 'without the log' | 'leaf hash at append' | 'leaf hash + signer process';

async function appendOverhead(dir: string, clock: SystemClock): Promise<void> {
  console.log(`1. Append throughput (SQLite, WAL, synchronous=FULL); load average ${loadAverage()}`);
  console.log(
    `   ${APPEND_ROUNDS} interleaved rounds (subjects in a rotating order, a fresh file each), medians. without: no leaf`,
  );
  console.log(
    '   hash; with the log: leaf hash at append, then also the signer process (Merkle tree kept from the store,',
  );
  console.log('   a head signed every second) working on the same file, as the worker does');
  const subjects: Subject[] = ['without the log', 'leaf hash at append', 'leaf hash + signer process'];
  let file = 0;
  for (const [label, count, write] of [
    ['batches of 100 events', OVERHEAD_EVENTS, (s: SqliteEventStore) => appendBatches(s, OVERHEAD_EVENTS)],
    [
      '1 event/call, 256 concurrent callers',
      OVERHEAD_EVENTS / 2,
      (s: SqliteEventStore) => appendConcurrently(s, OVERHEAD_EVENTS / 2),
    ],
  ] as const) {
    const runs = new Map<Subject, { wallMs: number; cpuMs: number; signerCpuMs: number }[]>(
      subjects.map((s) => [s, []]),
    );
    let signed = { heads: 0, leaves: 0 };
    for (let round = 0; round < APPEND_ROUNDS; round++)
      for (const subject of rotated(subjects, round)) {
        const path = join(dir, `append-${(file += 1)}.db`);
        const store = new SqliteEventStore({ path, clock, leafHashes: subject !== 'without the log' });
        await store.append(`platform/tenant/${TENANT}`, [{ type: 'TenantCreated', data: {} }], {
          expectedRevision: 'any',
          metadata,
        });
        const signer =
          subject === 'leaf hash + signer process' ? await startSigner(path, `${path}.trees`) : null;
        const { wallMs, cpuMs } = await measure(() => write(store));
        const stopped = await signer?.stop();
        await store.close();
        if (stopped) signed = stopped;
        runs.get(subject)?.push({ wallMs, cpuMs, signerCpuMs: stopped?.cpuMs ?? 0 });
      }
    const figures = (subject: Subject) => {
      const r = runs.get(subject) ?? [];
      return {
        rate: median(r.map((x) => count / (x.wallMs / 1000))),
        cpuUs: median(r.map((x) => (x.cpuMs * 1000) / count)),
        signerUs: median(r.map((x) => (x.signerCpuMs * 1000) / count)),
      };
    };
    const without = figures('without the log');
    console.log(`   ${label} (${count.toLocaleString('en-US')} events per run)`);
    for (const subject of subjects) {
      const f = figures(subject);
      const wallLoss =
        subject === 'without the log' ? '' : `   loss ${percent(1 - f.rate / without.rate)} (wall)`;
      const cpu =
        subject === 'leaf hash + signer process'
          ? `CPU ${f.cpuUs.toFixed(1)} µs/event appending + ${f.signerUs.toFixed(1)} µs in the signer (${percent((f.cpuUs + f.signerUs) / without.cpuUs - 1)} CPU in all)`
          : `CPU ${f.cpuUs.toFixed(1)} µs/event${subject === 'without the log' ? '' : ` (${percent(f.cpuUs / without.cpuUs - 1)})`}`;
      console.log(
        `      ${subject.padEnd(28)} ${Math.round(f.rate).toLocaleString('en-US').padStart(7)} ev/s   ${cpu}${wallLoss}`,
      );
    }
    console.log(
      `      (last signer run: ${signed.heads} heads signed, tree of ${signed.leaves} leaves; load average ${loadAverage()})   goal: loss <= 15 %`,
    );
  }
}

async function verification(dir: string, clock: SystemClock, key: ReturnType<typeof generateSigningKey>) {
  console.log(
    `\n2. Verification of a log of ${VERIFY_EVENTS.toLocaleString('en-US')} events (GET /audit/verify's path); load average ${loadAverage()}`,
  );
  const big = new SqliteEventStore({ path: join(dir, 'big.db'), clock });
  const t = performance.now();
  await appendBatches(big, VERIFY_EVENTS / 2, 1000);
  // A signed head in the middle: its root is checked too.
  const midTree = new MerkleTreeStore(new Database(':memory:'));
  for await (const page of readLogPages(big, [`tenant/${TENANT}/`]))
    midTree.appendMany(page.map((e) => ({ log: TENANT, position: e.position, leaf: fromHex(e.hash) })));
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
  const prefixes = [`tenant/${TENANT}/`, `platform/tenant/${TENANT}`];
  const subjects = {
    'read the rows': async () => {
      let n = 0;
      for await (const page of readLogPages(big, prefixes)) n += page.length;
      return n;
    },
    'read + one sha256 of each': async () => {
      let n = 0;
      for await (const page of readLogPages(big, prefixes))
        for (const e of page) {
          if ('dataJson' in e) hash('sha256', e.id + e.stream + e.type + e.dataJson + e.metadataJson, 'hex');
          n += 1;
        }
      return n;
    },
    verify: async () => {
      const verified = await verifyLogPages(readLogPages(big, prefixes), {
        tenantId: TENANT,
        keys: trustedKeys([key.publicKey]),
      });
      if (!verified.valid || verified.heads.checked !== 1)
        throw new Error(`the benchmark's log does not verify: ${JSON.stringify(verified.firstInvalid)}`);
      return verified.checkedEvents;
    },
  };
  const names = Object.keys(subjects) as (keyof typeof subjects)[];
  const runs = new Map(names.map((n) => [n, [] as { wallMs: number; cpuMs: number; value: number }[]]));
  for (let round = 0; round < VERIFY_ROUNDS; round++)
    for (const name of rotated(names, round)) runs.get(name)?.push(await measure(subjects[name]));
  // The signer's work on the same store: the Merkle tree built from nothing, beside reading what it
  // reads (readAllLeaves: the stored leaf hashes, without the events' content).
  const readLeaves = await measure(async () => {
    let n = 0;
    for (let after = 0; ;) {
      const page = await big.readAllLeaves({ afterPosition: after, maxCount: 2000 });
      n += page.length;
      if (page.length < 2000) return n;
      after = page[page.length - 1].position;
    }
  });
  const trees = new MerkleTrees(big, { path: join(dir, 'trees.db'), logOf: () => TENANT });
  const built = await measure(async () => {
    await trees.sync();
    return trees.store.size(TENANT);
  });
  await trees.stop();
  await big.close();
  console.log(`   ${VERIFY_ROUNDS} interleaved rounds, medians (events per wall second / per CPU second)`);
  const read = median((runs.get('read the rows') ?? []).map((r) => r.cpuMs));
  for (const name of names) {
    const r = runs.get(name) ?? [];
    const events = r[0].value;
    const wall = median(r.map((x) => x.wallMs));
    const cpu = median(r.map((x) => x.cpuMs));
    console.log(
      `      ${name.padEnd(26)} ${rate(events, wall).padStart(9)} ev/s wall ${rate(events, cpu).padStart(9)} ev/CPU-s   (${(cpu / 1000).toFixed(2)} CPU s; ${((cpu / read) * 100).toFixed(0)} % of reading)${name === 'verify' ? '   goal >= 200,000 events/s' : ''}`,
    );
  }
  const us = (m: { cpuMs: number; value: number }) => ((m.cpuMs * 1000) / m.value).toFixed(2);
  console.log(
    `   the signer's Merkle tree built from the same store: ${rate(built.value, built.wallMs)} ev/s wall, ${us(built)} µs CPU per event (reading its leaves alone: ${us(readLeaves)} µs)`,
  );
  console.log(`      (load average ${loadAverage()})`);
}

function proofs(dir: string): void {
  console.log(
    `\n3. Proofs on a persisted tree of ${TREE_LEAVES.toLocaleString('en-US')} leaves; load average ${loadAverage()}`,
  );
  const treeDb = new Database(join(dir, 'tree.db'));
  treeDb.pragma('journal_mode = WAL');
  treeDb.pragma('synchronous = NORMAL');
  const tree = new MerkleTreeStore(treeDb);
  const t = performance.now();
  const fill = treeDb.transaction((from: number, to: number) => {
    const leaves = [];
    for (let i = from; i < to; i++)
      leaves.push({ log: TENANT, position: i + 1, leaf: leafHash(Buffer.from(`event ${i}`)) });
    tree.appendMany(leaves);
  });
  for (let i = 0; i < TREE_LEAVES; i += 2000) fill(i, i + 2000);
  console.log(
    `   (tree built in ${((performance.now() - t) / 1000).toFixed(1)} s, pages of 2,000 leaves as the trees apply them)`,
  );
  const root = fromHex(tree.rootHex(TENANT));
  const random = (n: number) => Math.floor(Math.random() * n);
  const kinds = ['inclusion', 'consistency', 'reads'] as const;
  type Kind = (typeof kinds)[number];
  const times = Object.fromEntries(
    kinds.map((k) => [k, { wall: [] as number[], cpu: [] as number[] }]),
  ) as Record<Kind, { wall: number[]; cpu: number[] }>;
  const hashes = { inclusion: 0, consistency: 0 };
  // Wall time and this thread's CPU time: on a loaded machine a descheduled thread adds to the first only.
  const timed = <T>(kind: Kind, work: () => T): T => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const value = work();
    times[kind].wall.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    times[kind].cpu.push((used.user + used.system) / 1000);
    return value;
  };
  // Interleaved: a proof of each kind and the baseline, in a rotating order.
  for (let i = 0; i < PROOFS; i++)
    for (const kind of rotated([...kinds], i)) {
      if (kind === 'inclusion') {
        const index = random(TREE_LEAVES);
        const path = timed('inclusion', () => tree.inclusionProof(TENANT, index, TREE_LEAVES));
        hashes.inclusion = Math.max(hashes.inclusion, path.length);
        if (!verifyInclusion(tree.leafHash(TENANT, index) as Buffer, index, TREE_LEAVES, path, root))
          throw new Error(`inclusion proof of ${index} does not verify`);
      } else if (kind === 'consistency') {
        const from = 1 + random(TREE_LEAVES - 1);
        const proof = timed('consistency', () => tree.consistencyProof(TENANT, from, TREE_LEAVES));
        hashes.consistency = Math.max(hashes.consistency, proof.length);
        if (!verifyConsistency(from, TREE_LEAVES, fromHex(tree.rootHex(TENANT, from)), root, proof))
          throw new Error(`consistency proof from ${from} does not verify`);
      } else
        timed('reads', () => {
          for (let r = 0; r < 20; r++) tree.leafHash(TENANT, random(TREE_LEAVES));
        });
    }
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  const show = (name: string, kind: Kind, detail: string, goal = '   goal < 5 ms') => {
    const { wall, cpu } = times[kind];
    console.log(
      `   ${name.padEnd(31)} wall: median ${ms(percentile(wall, 0.5))}, p99 ${ms(percentile(wall, 0.99))}, max ${ms(Math.max(...wall))}; CPU: median ${ms(percentile(cpu, 0.5))}, p99 ${ms(percentile(cpu, 0.99))}   ${detail}${goal}`,
    );
  };
  console.log(`   ${PROOFS.toLocaleString('en-US')} of each, interleaved:`);
  show('baseline: 20 random leaf reads', 'reads', '(a proof reads about as many rows)', '');
  show('inclusion proof', 'inclusion', `${hashes.inclusion} hashes (${hashes.inclusion * 32} bytes) at most`);
  show(
    'consistency proof',
    'consistency',
    `${hashes.consistency} hashes (${hashes.consistency * 32} bytes) at most`,
  );
  console.log(
    `   root of the ${TREE_LEAVES.toLocaleString('en-US')}-leaf tree: ${toHex(root)}; load average ${loadAverage()}`,
  );
  treeDb.close();
}
