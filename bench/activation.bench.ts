import { spawn } from 'node:child_process';
import { QueueEvents } from 'bullmq';
import { QueueName } from '@reprise/jobs';
import { rawBullJobs, rawCloudCalls, rawCommits, type RawEvent } from './support/floor';
import { cpuMeter, formatCpu, loadAverage } from './support/machine';
import { startBenchStack, type BenchStack } from './support/stack-processes';

/** Deterministic PRNG (mulberry32) so every run benchmarks the same estate. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Node {
  hostname: string;
  family: 'windows' | 'linux';
  sizeGiB: number;
  dependsOn: string[];
  level: number;
}

/** A random DAG of `count` servers in `depth` levels; each server depends on 1-2 servers of the level above. */
function randomEstate(count: number, depth: number, sizes: () => number, seed: number): Node[] {
  const random = rng(seed);
  const levels: Node[][] = Array.from({ length: depth }, () => []);
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const level = i < depth ? i : Math.floor(random() * depth);
    const upstream = level > 0 ? levels[level - 1] : [];
    const deps = new Set<string>();
    if (upstream.length) {
      deps.add(upstream[Math.floor(random() * upstream.length)].hostname);
      if (random() < 0.4) deps.add(upstream[Math.floor(random() * upstream.length)].hostname);
    }
    const node: Node = {
      hostname: `srv-${String(i).padStart(4, '0')}`,
      family: random() < 0.6 ? 'windows' : 'linux',
      sizeGiB: sizes(),
      dependsOn: [...deps],
      level,
    };
    levels[level].push(node);
    nodes.push(node);
  }
  // Enrol in dependency order (the import checks dependencies against the batch, so any order works).
  return nodes.sort((a, b) => a.level - b.level);
}

const body = (n: Node) => ({
  hostname: n.hostname,
  kind: 'virtual',
  platform: 'vmware',
  os:
    n.family === 'windows'
      ? { family: 'windows', name: 'Windows Server', version: '2022' }
      : { family: 'linux', name: 'Ubuntu', version: '24.04' },
  backupMode: 'agent',
  template: { vcpu: 2, ramGiB: 4 },
  disks: [{ name: 'system', sizeGiB: n.sizeGiB }],
  protectionClass: 'drp',
  dependsOn: n.dependsOn,
  rtoMinutes: 10080,
  rpoMinutes: 1440,
});

async function onboard(stack: BenchStack, estate: Node[]): Promise<string> {
  const tenant = await stack.call<{ id: string }>(stack.admin, 'POST', '/tenants', {
    name: 'Bench',
    customerNumber: `B-${Date.now()}`,
    domain: 'bench.example',
    activationWindow: '24x7',
    notificationWebhookUrl: stack.webhookUrl,
  });
  const { token } = await stack.call<{ token: string }>(
    stack.admin,
    'POST',
    `/tenants/${tenant.id}/api-keys`,
    { name: 'bench', role: 'dr-manager' },
  );
  await stack.call(token, 'PUT', '/plan/authorised-persons', [
    { name: 'Requester', email: 'requester@bench.example' },
    { name: 'Confirmer', email: 'confirmer@bench.example' },
  ]);
  for (let i = 0; i < estate.length; i += 500)
    await stack.call(token, 'POST', '/servers:import', estate.slice(i, i + 500).map(body));
  return token;
}

interface View {
  status: string;
  launchedAt: string;
  servers: Array<{ hostname: string; availableAt: string | null; phase: string }>;
}

async function until(
  stack: BenchStack,
  token: string,
  id: string,
  done: (v: View) => boolean,
  timeoutMs: number,
): Promise<View> {
  const start = Date.now();
  for (;;) {
    const view = await stack.call<View>(token, 'GET', `/activations/${id}`);
    if (done(view)) return view;
    if (Date.now() - start > timeoutMs)
      throw new Error(`activation still ${view.status} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const TERMINAL = (v: View) => v.status === 'completed' || v.status === 'completed-with-failures';

interface OverheadCase {
  servers: number;
  store: 'sqlite' | 'postgres';
}

/** BENCH_OVERHEAD, e.g. `sqlite:1000,postgres:1000,sqlite:5000` (the default). */
const overheadCases = (): OverheadCase[] =>
  (process.env.BENCH_OVERHEAD ?? 'sqlite:1000,postgres:1000,sqlite:5000').split(',').map((c) => {
    const [store, servers] = c.split(':');
    if ((store !== 'sqlite' && store !== 'postgres') || !(Number(servers) > 0))
      throw new Error(`BENCH_OVERHEAD: "${c}" is not <sqlite|postgres>:<servers>`);
    return { store, servers: Number(servers) };
  });

const GOALS: Record<string, number> = { 'sqlite:1000': 3, 'postgres:1000': 5, 'sqlite:5000': 15 };

interface OverheadRun {
  seconds: number;
  status: string;
  ok: number;
  cpu: Record<string, number>;
  jobs: { run: number; distinct: number };
  cloudCalls: number;
  events: RawEvent[];
  commits: number;
}

/** Waits until the simulator knows every server of the estate (the estate is synced before the activation). */
async function estateSynced(stack: BenchStack, servers: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    const stats = await stack.sim<{ protectedServers: number }>('GET', '/sim/v1/stats');
    if (stats.protectedServers >= servers) return;
    if (Date.now() - start > 300_000)
      throw new Error(`the estate sync registered ${stats.protectedServers}/${servers} servers in 5 min`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One disaster failover of `servers` servers, depth 8, on a zero-duration cloud: all its time is the engine's. */
async function overheadRun(c: OverheadCase, root?: string): Promise<OverheadRun> {
  const stack = await startBenchStack({ env: { SIM_TIME_SCALE: '1' }, eventStore: c.store, root });
  const jobs = new Map<string, number>();
  let queueEvents: QueueEvents | undefined;
  try {
    await stack.sim('PUT', '/sim/v1/config', {
      timing: { zeroDurations: true },
      clusters: Array.from({ length: Math.ceil(c.servers / 1000) }, (_, i) => ({
        id: `cl-${i + 1}`,
        hostCount: 32,
        hostVcpu: 128,
        hostRamGiB: 1024,
      })),
      datastores: [
        { id: 'ds-1', capacityGiB: 100 * c.servers },
        { id: 'ds-2', capacityGiB: 100 * c.servers },
      ],
    });
    const estate = randomEstate(c.servers, 8, () => 50, 1000);
    const token = await onboard(stack, estate);
    await estateSynced(stack, c.servers);
    const redis = new URL(stack.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    queueEvents = new QueueEvents(QueueName.CloudStep, {
      connection: { host: redis.hostname, port: Number(redis.port || 6379) },
      prefix: stack.env.QUEUE_PREFIX,
    });
    await queueEvents.waitUntilReady();
    queueEvents.on('active', ({ jobId }) => jobs.set(jobId, (jobs.get(jobId) ?? 0) + 1));
    const { id } = await stack.call<{ id: string }>(token, 'POST', '/activations', {
      type: 'disaster',
      scope: 'full',
      requestedBy: { name: 'Requester', email: 'requester@bench.example' },
    });
    for (let i = 0; i < 400 && !stack.codes.has(id); i++) await new Promise((r) => setTimeout(r, 25));
    const head = await stack.headPosition();
    const calls = async () =>
      (await stack.sim<{ api: { requests?: number } }>('GET', '/sim/v1/stats')).api.requests ?? Number.NaN;
    const callsBefore = await calls();
    const meter = cpuMeter(stack.pids);
    const started = performance.now();
    await stack.call(token, 'POST', `/activations/${id}/confirm`, {
      email: 'confirmer@bench.example',
      code: stack.codes.get(id),
    });
    const view = await until(stack, token, id, TERMINAL, 600_000);
    const seconds = (performance.now() - started) / 1000;
    const cpu = meter();
    const events = await stack.eventsAfter(head);
    return {
      seconds,
      status: view.status,
      ok: view.servers.filter((s) => s.phase === 'ok').length,
      cpu,
      jobs: { run: [...jobs.values()].reduce((a, b) => a + b, 0), distinct: jobs.size },
      cloudCalls: (await calls()) - callsBefore,
      events: events.map((e) => [e.stream, e.revision, e.type, e.data, e.metadata]),
      // Appends committed together share their recording instant: the commits, give or take.
      commits: new Set(events.map((e) => JSON.parse(e.metadata).recordedAt)).size,
    };
  } finally {
    await queueEvents?.close();
    await stack.close();
  }
}

/** Engine overhead beside its floor, per case (and beside another build when BENCH_COMPARE_ROOT names one). */
async function engineOverhead(): Promise<void> {
  const compare = process.env.BENCH_COMPARE_ROOT;
  for (const c of overheadCases()) {
    const label = `${c.store}:${c.servers}`;
    console.log(
      `\nengine overhead: ${c.servers.toLocaleString('en-US')} servers (depth 8, zero-duration cloud), ${c.store}, confirm → completed   goal ≤ ${GOALS[label] ?? '—'} s   load ${loadAverage()}`,
    );
    if (compare) {
      const before = await overheadRun(c, compare);
      console.log(
        `  ${compare} (compared build): ${before.seconds.toFixed(2)} s wall, ${before.status} (${before.ok} ok); cpu ${formatCpu(before.cpu)}; ${before.jobs.run} jobs run for ${before.jobs.distinct} steps`,
      );
    }
    const r = await overheadRun(c);
    console.log(
      `  Reprise: ${r.seconds.toFixed(2)} s wall, ${r.status} (${r.ok} ok); cpu ${formatCpu(r.cpu)}`,
    );
    console.log(
      `    ${r.jobs.run} jobs run for ${r.jobs.distinct} steps, ${r.cloudCalls} cloud calls, ${r.events.length} events in ~${r.commits} commits`,
    );
    const floor = {
      jobs: await rawBullJobs(r.jobs.distinct, process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 64),
      calls: await rawCloudCalls(r.cloudCalls, 64),
      commits: await rawCommits(r.events, r.commits, c.store),
    };
    const total = floor.jobs + floor.calls + floor.commits;
    console.log(
      `  floor (same run): ${r.jobs.distinct} raw BullMQ jobs ${floor.jobs.toFixed(2)} s + ${r.cloudCalls} raw calls over keep-alive node:http ${floor.calls.toFixed(2)} s + ${r.events.length} events in ${r.commits} raw ${c.store} commits ${floor.commits.toFixed(2)} s = ${total.toFixed(2)} s → Reprise ${(r.seconds / total).toFixed(1)} × floor`,
    );
  }
}

const TIMING = {
  bandwidthGiBPerMin: (1024 * 60) / 1024,
  createMin: 1,
  boot: { windows: 6, linux: 3 },
  analysisMin: 4,
};

/** Completion times of restores that all start at 0 and share the bandwidth equally (processor sharing). */
function sharedRestoreTimes(nodes: Node[]): Map<string, number> {
  const sorted = [...nodes].sort((a, b) => a.sizeGiB - b.sizeGiB);
  const out = new Map<string, number>();
  let t = 0;
  let prev = 0;
  sorted.forEach((n, i) => {
    t += ((n.sizeGiB - prev) * (sorted.length - i)) / TIMING.bandwidthGiBPerMin;
    prev = n.sizeGiB;
    out.set(n.hostname, t);
  });
  return out;
}

const startup = (n: Node) => TIMING.createMin + TIMING.boot[n.family] + TIMING.analysisMin;

/** Schedule quality: 200 servers with realistic sizes, makespan against the lower bound, beside a priority-wave schedule. */
async function scheduleQuality(clock: 'skip' | 'scaled', burners = 0): Promise<number> {
  const scale = clock === 'skip' ? 1 : 2000;
  const stack = await startBenchStack({
    env: { SIM_TIME_SCALE: String(scale), SIM_TIME_MODE: clock },
  });
  const load = startBurners(burners);
  try {
    await stack.sim('PUT', '/sim/v1/config', {
      timing: {
        bootJitterPercent: 0,
        createServerSeconds: 60,
        restoreBandwidthMiBps: 1024,
        analysisMinutes: 4,
        bootMinutes: { windows: 6, linux: 3 },
      },
      clusters: [{ id: 'cl-1', hostCount: 16, hostVcpu: 64, hostRamGiB: 512 }],
      datastores: [
        { id: 'ds-1', capacityGiB: 60000 },
        { id: 'ds-2', capacityGiB: 60000 },
      ],
    });
    const random = rng(7);
    const sizes = () => [40, 60, 80, 120, 200, 400, 800][Math.floor(random() ** 2 * 7)];
    const estate = randomEstate(200, 6, sizes, 200);
    const token = await onboard(stack, estate);
    const { id } = await stack.call<{ id: string }>(token, 'POST', '/activations', {
      type: 'test',
      scope: 'full',
      requestedBy: { name: 'Requester', email: 'requester@bench.example' },
    });
    const wallStart = performance.now();
    const view = await until(stack, token, id, TERMINAL, 600_000);
    const wall = (performance.now() - wallStart) / 1000;
    const launch = Date.parse(view.launchedAt);
    const makespan = Math.max(
      ...view.servers.map((s) => (s.availableAt ? (Date.parse(s.availableAt) - launch) / 60_000 : 0)),
    );

    // Lower bound: the longest path when each restore has the whole bandwidth, or every byte through the
    // shared bandwidth followed by the quickest start-up.
    const byHost = new Map(estate.map((n) => [n.hostname, n]));
    const memo = new Map<string, number>();
    const longest = (h: string): number => {
      if (memo.has(h)) return memo.get(h) as number;
      const n = byHost.get(h) as Node;
      const value = Math.max(n.sizeGiB / TIMING.bandwidthGiBPerMin, ...n.dependsOn.map(longest)) + startup(n);
      memo.set(h, value);
      return value;
    };
    const pathBound = Math.max(...estate.map((n) => longest(n.hostname)));
    const bytesBound =
      estate.reduce((s, n) => s + n.sizeGiB, 0) / TIMING.bandwidthGiBPerMin +
      Math.min(...estate.map(startup));
    const bound = Math.max(pathBound, bytesBound);

    // Strict priority waves (SRM-style): all restores share the bandwidth from the start, but wave k
    // boots only once every server of wave k-1 is available.
    const restored = sharedRestoreTimes(estate);
    let waveStart = 0;
    let waveMakespan = 0;
    for (let level = 0; level < 6; level++) {
      const wave = estate.filter((n) => n.level === level);
      const end = Math.max(
        ...wave.map((n) => Math.max(restored.get(n.hostname) as number, waveStart) + startup(n)),
      );
      waveMakespan = end;
      waveStart = end;
    }
    if (!printedBound) {
      printedBound = true;
      console.log(
        `\nschedule quality: 200 servers, ${estate.reduce((s, n) => s + n.sizeGiB, 0).toLocaleString('en-US')} GiB, 6 levels; lower bound ${bound.toFixed(1)} min (path ${pathBound.toFixed(1)}, bytes ${bytesBound.toFixed(1)})   goal ≤ 1.02, same figure ± 0.5 % idle and loaded`,
      );
      console.log(
        `  strict priority waves : makespan ${waveMakespan.toFixed(1)} min → ${(waveMakespan / bound).toFixed(3)} × bound   (same cloud model, computed)`,
      );
    }
    const how = clock === 'skip' ? 'time-skipping clock' : `scaled clock ${scale}×`;
    const ok = view.servers.filter((s) => s.phase === 'ok').length;
    console.log(
      `  Reprise, ${how}, ${burners ? `${burners} extra busy processes` : 'no extra load'}: makespan ${makespan.toFixed(1)} min → ${(makespan / bound).toFixed(3)} × bound   (${view.status}, ${ok} ok; ${wall.toFixed(1)} s wall, load ${loadAverage()})`,
    );
    return makespan / bound;
  } finally {
    load.stop();
    await stack.close();
  }
}

let printedBound = false;

/** `count` processes spinning on the CPU: a loaded machine, on demand. */
function startBurners(count: number): { stop: () => void } {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return { stop: () => children.forEach((c) => c.kill('SIGKILL')) };
}

/** The same schedule on the time-skipping clock with and without extra load, and on the scaled clock. */
async function scheduleQualities(): Promise<void> {
  const quiet = await scheduleQuality('skip');
  const loaded = await scheduleQuality('skip', 4);
  console.log(
    `  time-skipping clock: ${((Math.abs(loaded - quiet) / quiet) * 100).toFixed(2)} % apart with and without load   goal ≤ 0.5 %`,
  );
  await scheduleQuality('scaled');
  await scheduleQuality('scaled', 4);
}

/**
 * `npm run bench -- activation`: BENCH_ONLY=overhead|schedule, BENCH_OVERHEAD (cases, e.g.
 * `sqlite:1000,postgres:1000,sqlite:5000`), BENCH_COMPARE_ROOT (another checkout with a built `dist/`
 * to run beside this one), REPRISE_CPU_PROF (a directory: every app writes a CPU profile there).
 */
export async function run(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  console.log(`load average at start: ${loadAverage()}`);
  if (!only || only === 'overhead') await engineOverhead();
  if (!only || only === 'schedule') await scheduleQualities();
  console.log(`load average at end: ${loadAverage()}`);
}
