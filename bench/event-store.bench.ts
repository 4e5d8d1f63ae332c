import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BATCHES,
  BATCH_SIZE,
  CALLERS,
  PG_URL,
  SEQUENTIAL,
  SUBJECTS,
  type SubjectKey,
  WAVES,
  withClient,
  WORKLOADS,
  WRITERS,
} from './support/event-store-subjects';

/**
 * The event stores side by side, in one run: Reprise's SQLite and PostgreSQL stores, the same rows
 * inserted with raw better-sqlite3 and raw `pg` (no hashing, no checks: the floor), and Emmett's SQLite
 * and PostgreSQL stores as peers. Each subject runs in its own process; rounds are interleaved (every
 * subject runs each workload in turn, in a rotated order, on fresh storage) and each figure is the
 * median of the rounds.
 *
 *   npm run bench -- event-store     BENCH_ROUNDS (3), BENCH_SUBJECTS=reprisePg,rawPg (all),
 *                                    POSTGRES_BENCH_URL (the local `test` database)
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DEADLINE_MS = 60_000;

/** A subject's process: one request at a time, each answered within the deadline or the process is killed. */
class SubjectProcess {
  private readonly child: ChildProcess;
  private waiting: ((message: Record<string, unknown>) => void) | null = null;

  constructor(
    readonly key: SubjectKey,
    dir: string,
    schema: string,
  ) {
    this.child = fork(join(__dirname, 'support', 'event-store-subjects.js'), [key, dir, schema], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    this.child.on('message', (message) => this.waiting?.(message as Record<string, unknown>));
    this.child.on('exit', () => this.waiting?.({ error: 'the subject process exited' }));
  }

  request(message?: unknown): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(new Error(`no answer within ${DEADLINE_MS / 1000} s`));
      }, DEADLINE_MS);
      this.waiting = (answer) => {
        clearTimeout(timer);
        this.waiting = null;
        if (typeof answer.error === 'string') reject(new Error(answer.error));
        else resolve(answer);
      };
      if (message) this.child.send(message as object);
    });
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function run(): Promise<void> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
  console.log(`load average at start (1/5/15 min): ${load()}`);
  console.log(
    `${ROUNDS} interleaved rounds, one process per subject, fresh storage per round, median events/s; ` +
      `SQLite: WAL + synchronous=FULL; PostgreSQL: ${PG_URL.replace(/\/\/[^@]*@/, '//')} (synchronous_commit=on)`,
  );
  const rates = new Map<string, number[]>();
  const lost = new Map<SubjectKey, { refused: number; lost: number }>();
  const only = process.env.BENCH_SUBJECTS?.split(',');
  for (let round = 0; round < ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
    const schemas: string[] = [];
    const opened: SubjectProcess[] = [];
    /** Subjects that failed or hung in a workload: left out of the rest of the round, and reported. */
    const broken = new Map<SubjectKey, string>();
    const fail = (p: SubjectProcess, what: string, error: unknown) => {
      broken.set(p.key, `${what}: ${error instanceof Error ? error.message : String(error)}`);
      p.kill();
    };
    const writesBy = new Map<SubjectKey, number>();
    try {
      for (const { key } of SUBJECTS.filter((s) => !only || only.includes(s.key))) {
        const schema = `bench_${key.toLowerCase()}_${randomUUID().slice(0, 8)}`;
        schemas.push(schema);
        const p = new SubjectProcess(key, dir, schema);
        opened.push(p);
        await p.request().catch((error) => fail(p, 'open', error));
      }
      for (const workload of WORKLOADS) {
        // Rotate who goes first, so no subject always runs on a cooler (or hotter) machine.
        const order = opened.map((_, i) => opened[(i + round) % opened.length]);
        for (const p of order) {
          if (broken.has(p.key)) continue;
          const answer = await p
            .request({ op: 'run', workload: workload.key })
            .catch((error) => fail(p, workload.key, error));
          if (!answer || answer.count === null) continue;
          const count = answer.count as number;
          if (workload.key !== 'readAll' && workload.key !== 'readStream')
            writesBy.set(p.key, (writesBy.get(p.key) ?? 0) + count);
          const id = `${workload.key}:${p.key}`;
          rates.set(id, [...(rates.get(id) ?? []), (count / (answer.ms as number)) * 1000]);
          if (process.env.BENCH_VERBOSE)
            console.error(
              `round ${round + 1} ${workload.key} ${p.key}: ${(answer.ms as number).toFixed(0)} ms`,
            );
        }
      }
      for (const p of opened) {
        if (broken.has(p.key)) continue;
        const answer = await p.request({ op: 'count' }).catch((error) => fail(p, 'count', error));
        if (!answer) continue;
        const refused = answer.refused as number;
        const acknowledged = (writesBy.get(p.key) ?? 0) + (p.key === 'emmettSqlite' ? 1 : 0) - refused;
        const kept = answer.kept as number;
        const entry = lost.get(p.key) ?? { refused: 0, lost: 0 };
        lost.set(p.key, {
          refused: entry.refused + refused,
          lost: entry.lost + Math.max(0, acknowledged - kept),
        });
      }
    } finally {
      for (const p of opened) {
        if (broken.has(p.key)) continue;
        await p.request({ op: 'close' }).catch(() => p.kill());
      }
      for (const [key, why] of broken) console.log(`${key} failed in round ${round + 1} (${why})`);
      await withClient(async (c) => {
        for (const schema of schemas) await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      });
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printTable(rates, lost);
  console.log(`load average at end (1/5/15 min): ${load()}`);
  console.log(
    `sizes: ${BATCHES} x ${BATCH_SIZE}-event batches, ${SEQUENTIAL} sequential appends, ${WAVES} waves of ${CALLERS} ` +
      `callers, ${WRITERS} writer stores x ${CALLERS} callers x ${WAVES / 4} waves`,
  );
}

function printTable(
  rates: Map<string, number[]>,
  lost: Map<SubjectKey, { refused: number; lost: number }>,
): void {
  const get = (w: string, s: SubjectKey) => {
    const xs = rates.get(`${w}:${s}`);
    return xs?.length ? median(xs) : undefined;
  };
  const num = (x?: number) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
  const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? '—' : (a / b).toFixed(2));
  const header = [
    'workload (events/s, median)',
    'Reprise SQLite',
    'raw SQLite',
    'R/raw',
    'Emmett SQLite',
    'R/Emmett',
    'Reprise PG',
    'raw pg',
    'R/raw',
    'Emmett PG',
    'R/Emmett',
  ];
  const rows = WORKLOADS.map((w) => {
    const [rs, xs, es, rp, xp, ep] = (
      ['repriseSqlite', 'rawSqlite', 'emmettSqlite', 'reprisePg', 'rawPg', 'emmettPg'] as SubjectKey[]
    ).map((s) => get(w.key, s));
    return [
      w.label,
      num(rs),
      num(xs),
      ratio(rs, xs),
      num(es),
      ratio(rs, es),
      num(rp),
      num(xp),
      ratio(rp, xp),
      num(ep),
      ratio(rp, ep),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(
    'goals: Reprise SQLite >= 0.8 x raw better-sqlite3 in every workload; Reprise PG >= 0.7 x raw pg and >= 3 x Emmett PG',
  );
  for (const [key, n] of lost)
    if (n.refused || n.lost)
      console.log(
        `${key}: ${n.refused} appends refused with an error, ${n.lost} acknowledged appends missing from the store (all rounds)`,
      );
}
