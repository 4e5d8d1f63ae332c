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

/** Engine overhead: 1,000 servers, depth 8, every cloud operation takes zero time. */
async function engineOverhead(): Promise<void> {
  const stack = await startBenchStack({ SIM_TIME_SCALE: '1' });
  try {
    await stack.sim('PUT', '/sim/v1/config', {
      timing: { zeroDurations: true },
      clusters: [{ id: 'cl-1', hostCount: 32, hostVcpu: 128, hostRamGiB: 1024 }],
      datastores: [
        { id: 'ds-1', capacityGiB: 100000 },
        { id: 'ds-2', capacityGiB: 100000 },
      ],
    });
    const estate = randomEstate(1000, 8, () => 50, 1000);
    const token = await onboard(stack, estate);
    const { id } = await stack.call<{ id: string }>(token, 'POST', '/activations', {
      type: 'disaster',
      scope: 'full',
      requestedBy: { name: 'Requester', email: 'requester@bench.example' },
    });
    for (let i = 0; i < 200 && !stack.codes.has(id); i++) await new Promise((r) => setTimeout(r, 25));
    const started = performance.now();
    await stack.call(token, 'POST', `/activations/${id}/confirm`, {
      email: 'confirmer@bench.example',
      code: stack.codes.get(id),
    });
    const view = await until(stack, token, id, TERMINAL, 300_000);
    const seconds = (performance.now() - started) / 1000;
    const ok = view.servers.filter((s) => s.phase === 'ok').length;
    console.log(
      `engine overhead: 1,000 servers (depth 8, zero-duration cloud), confirm → ${view.status}: ${seconds.toFixed(2)} s wall (${ok} ok)   goal < 10 s`,
    );
  } finally {
    await stack.close();
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
async function scheduleQuality(): Promise<void> {
  const scale = 2000;
  const stack = await startBenchStack({ SIM_TIME_SCALE: String(scale) });
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
    console.log(
      `schedule quality: 200 servers, ${estate.reduce((s, n) => s + n.sizeGiB, 0).toLocaleString('en-US')} GiB, 6 levels; lower bound ${bound.toFixed(1)} min (path ${pathBound.toFixed(1)}, bytes ${bytesBound.toFixed(1)})`,
    );
    console.log(
      `  Reprise (graph-driven): makespan ${makespan.toFixed(1)} min → ${(makespan / bound).toFixed(3)} × bound   (simulated at ${scale}×, ${wall.toFixed(1)} s wall)   goal ≤ 1.05`,
    );
    console.log(
      `  strict priority waves : makespan ${waveMakespan.toFixed(1)} min → ${(waveMakespan / bound).toFixed(3)} × bound   (same cloud model, computed)`,
    );
  } finally {
    await stack.close();
  }
}

export async function run(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'overhead') await engineOverhead();
  if (!only || only === 'schedule') await scheduleQuality();
}
