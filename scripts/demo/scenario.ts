import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleEstate } from './sample-estate';
import { setUpRunbook, startRunbookReceiver } from './runbook';

export interface ScenarioContext {
  apiUrl: string;
  cloudUrl: string;
  adminToken: string;
  dataDir: string;
  /** The tenant's notification webhook (the demo prints the one-time codes it receives). */
  webhookUrl?: string;
  /** Aborted on Ctrl-C: every call fails at once and nothing more is printed. */
  signal?: AbortSignal;
}

/** The persons who may confirm a failover; they are also the demo's console users. */
export const AUTHORISED_PERSONS = [
  { name: 'Claire Martin', email: 'claire.martin@acme-industries.example', phone: '+33 6 12 34 56 78' },
  { name: 'Hugo Bernard', email: 'hugo.bernard@acme-industries.example' },
];

interface ServerView {
  hostname: string;
  phase: string;
  availableAfterMinutes: number | null;
  rtoMinutes: number | null;
  rtoMet: boolean | null;
  detail: string | null;
}
interface ActivationView {
  id: string;
  status: string;
  launchedAt: string | null;
  servers: ServerView[];
  steps: Array<{ name: string; kind: string; status: string; detail: string | null }>;
  rto: {
    firstServerAvailableAfterMinutes: number | null;
    lastServerAvailableAfterMinutes: number | null;
    projectedLastServerMinutes: number | null;
  };
}

const TERMINAL = new Set(['completed', 'completed-with-failures', 'aborted']);
const COLOURS: Record<string, string> = {
  pending: '90',
  restoring: '36',
  restored: '34',
  booting: '35',
  checking: '33',
  ok: '32',
  warning: '33;1',
  failed: '31;1',
  blocked: '31',
  cancelled: '90',
};

export async function call<T>(
  ctx: ScenarioContext,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${ctx.apiUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: ctx.signal,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
  return (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
}

const bar = (done: number, total: number, width = 30) => {
  const filled = total ? Math.round((done / total) * width) : 0;
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
};

/** Renders the live progress: in place on a terminal, one line per change otherwise. */
class ProgressView {
  private lastLines = 0;
  private lastPhases = new Map<string, string>();
  private readonly tty = process.stdout.isTTY === true;

  render(view: ActivationView, simNow: string | null): void {
    const total = view.servers.length;
    const available = view.servers.filter((s) => s.phase === 'ok' || s.phase === 'warning').length;
    const settled = view.servers.filter((s) =>
      ['ok', 'warning', 'failed', 'blocked', 'cancelled'].includes(s.phase),
    ).length;
    const elapsed =
      view.launchedAt && simNow
        ? ((Date.parse(simNow) - Date.parse(view.launchedAt)) / 60_000).toFixed(1)
        : '0.0';
    const head = `DRP test ${view.id.slice(0, 8)} ${view.status.padEnd(24)} ${bar(settled, total)} ${available}/${total} available   T+${elapsed} min (simulated)`;
    if (!this.tty) {
      for (const s of view.steps) {
        if (this.lastPhases.get(`step:${s.name}`) !== s.status) {
          this.lastPhases.set(`step:${s.name}`, s.status);
          console.log(`  T+${elapsed.padStart(6)} min  step ${s.name.padEnd(16)} → ${s.status}`);
        }
      }
      for (const s of view.servers) {
        if (this.lastPhases.get(s.hostname) !== s.phase) {
          this.lastPhases.set(s.hostname, s.phase);
          console.log(`  T+${elapsed.padStart(6)} min  ${s.hostname.padEnd(12)} → ${s.phase}`);
        }
      }
      return;
    }
    const lines = [head, `  runbook: ${view.steps.map((s) => `${s.name} ${s.status}`).join(' · ')}`, ''];
    const cols = 3;
    const cells = view.servers.map((s) => {
      const label = `${s.hostname.padEnd(12)} ${s.phase.padEnd(9)}${s.availableAfterMinutes !== null ? ` ${s.availableAfterMinutes.toFixed(1).padStart(5)}′` : '       '}`;
      return `\x1b[${COLOURS[s.phase] ?? '0'}m${label}\x1b[0m`;
    });
    for (let i = 0; i < cells.length; i += cols) lines.push(`  ${cells.slice(i, i + cols).join('   ')}`);
    if (this.lastLines) process.stdout.write(`\x1b[${this.lastLines}A`);
    process.stdout.write(lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
    this.lastLines = lines.length;
  }
}

export interface Onboarded {
  tenantId: string;
  /** The DR manager's API key (automation; people sign in to the console). */
  token: string;
}

/** Onboards ACME Industries: tenant, API key, authorised persons, and the 25-server estate. */
export async function onboard(
  ctx: ScenarioContext,
  log: (line: string) => void = console.log,
): Promise<Onboarded> {
  const admin = ctx.adminToken;
  log('\n1. Onboarding the customer ACME Industries (tenant, API key, authorised persons)…');
  const tenant = await call<{ id: string }>(ctx, admin, 'POST', '/tenants', {
    name: 'ACME Industries',
    customerNumber: 'C-10042',
    domain: 'acme-industries.example',
    timeZone: 'Europe/Paris',
    activationWindow: '24x7',
    ...(ctx.webhookUrl ? { notificationWebhookUrl: ctx.webhookUrl } : {}),
  });
  const { token } = await call<{ token: string }>(ctx, admin, 'POST', `/tenants/${tenant.id}/api-keys`, {
    name: 'demo DR manager',
    role: 'dr-manager',
  });
  await call(ctx, token, 'PUT', '/plan/authorised-persons', AUTHORISED_PERSONS);

  const estate = sampleEstate();
  log(`2. Importing the estate: ${estate.length} protected servers (bulk import, all or nothing)…`);
  await call(ctx, token, 'POST', '/servers:import', estate);
  const byClass = estate.reduce<Record<string, number>>(
    (acc, s) => ((acc[s.protectionClass] = (acc[s.protectionClass] ?? 0) + 1), acc),
    {},
  );
  log(
    `   ${Object.entries(byClass)
      .map(([k, v]) => `${v} ${k}`)
      .join(
        ', ',
      )}; ${estate.filter((s) => s.os.family === 'windows').length} Windows, ${estate.filter((s) => s.os.family === 'linux').length} Linux`,
  );
  return { tenantId: tenant.id, token };
}

type Check = { ready: boolean; findings: Array<{ severity: string; code: string; message: string }> };

/** The readiness check, once the worker has registered the imported servers with the cloud's backup space. */
export async function readinessCheck(ctx: ScenarioContext, token: string): Promise<Check> {
  let check = await call<Check>(ctx, token, 'POST', '/plan/check');
  for (let i = 0; i < 50 && check.findings.some((f) => f.code === 'no-restore-point'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    check = await call<Check>(ctx, token, 'POST', '/plan/check');
  }
  return check;
}

/** The demo: a realistic estate, its readiness check, then a DRP test followed live to the end. */
export async function runScenario(ctx: ScenarioContext): Promise<Onboarded> {
  const onboarded = await onboard(ctx);
  const { token } = onboarded;
  const receiver = await startRunbookReceiver((line) => console.log(`\n  ↪ ${line}`));
  const steps = await setUpRunbook(ctx, token, receiver);
  console.log(
    `   runbook: ${steps.map((s) => `${s.name} (${s.kind})`).join(', ')}; web-01 and web-02 wait for erp-sign-off`,
  );
  const plan = await call<{ bootWaves: string[][]; criticalPath: string[]; predictedRtoMinutes: number }>(
    ctx,
    token,
    'GET',
    '/plan',
  );
  console.log(
    `3. The DRP: ${plan.bootWaves.flat().length} servers in ${plan.bootWaves.length} dependency levels; critical path ${plan.criticalPath.join(' → ')}; predicted RTO ${plan.predictedRtoMinutes} min`,
  );
  const check = await readinessCheck(ctx, token);
  console.log(
    `   readiness check: ${check.ready ? 'ready' : 'NOT ready'}${check.findings.length ? '' : ', no finding'}`,
  );
  for (const f of check.findings.slice(0, 6)) console.log(`   - ${f.severity}: ${f.message}`);

  // A realistic hiccup: one application server comes back with a warning from its health check.
  await fetch(`${ctx.cloudUrl}/sim/v1/faults`, {
    signal: ctx.signal,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hostname: 'batch-01', fault: 'health-warning', times: 1 }),
  });

  console.log(
    '4. Running the semi-annual DRP test of the whole perimeter (restores in parallel, boots in dependency order)…\n',
  );
  const activation = await call<{ id: string; status: string }>(ctx, token, 'POST', '/activations', {
    type: 'test',
    scope: 'full',
    requestedBy: { name: 'Claire Martin', email: 'claire.martin@acme-industries.example' },
    reason: 'Semi-annual DRP test (demo)',
  });
  const progress = new ProgressView();
  let view: ActivationView;
  const started = Date.now();
  let signOffAt: number | null = null;
  for (;;) {
    view = await call<ActivationView>(ctx, token, 'GET', `/activations/${activation.id}`);
    const clock = (await (await fetch(`${ctx.cloudUrl}/sim/v1/clock`, { signal: ctx.signal })).json()) as {
      now: string;
    };
    if (ctx.signal?.aborted) return onboarded;
    progress.render(view, clock.now);
    // The ERP owner takes a moment to check the ERP, then signs off (the web tier waits for it).
    if (view.steps.some((s) => s.name === 'erp-sign-off' && s.status === 'waiting-sign-off')) {
      if (signOffAt === null) {
        signOffAt = Date.now() + 4000;
        console.log('\n  ⏸ erp-sign-off waits: the ERP owner posts a test order, then signs off (4 s)…');
      } else if (Date.now() >= signOffAt) {
        await call(ctx, token, 'POST', `/activations/${activation.id}/steps/erp-sign-off/sign-off`, {
          note: 'test order 4711 posted and invoiced',
        });
        console.log('  ✔ erp-sign-off signed off by Claire Martin');
        signOffAt = Infinity;
      }
    }
    if (TERMINAL.has(view.status)) break;
    if (Date.now() - started > 5 * 60_000)
      throw new Error(`the DRP test is still ${view.status} after 5 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }

  process.stdout.write(
    "\n5. Closing the test: tearing down the recovery environment, verified against the cloud's own listing… ",
  );
  const closed = await call<{ status: string }>(
    ctx,
    token,
    'POST',
    `/activations/${activation.id}/close`,
    {},
  );
  console.log(closed.status);
  // After the cleanup: the post-cleanup step closes the change.
  for (let i = 0; i < 120; i++) {
    const after = await call<ActivationView>(ctx, token, 'GET', `/activations/${activation.id}`);
    const step = after.steps.find((s) => s.name === 'change-closed');
    if (!step || ['done', 'failed', 'cancelled'].includes(step.status)) {
      if (step) console.log(`   post-cleanup step change-closed: ${step.status}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  const report = await call<{
    summary: {
      servers: number;
      windows: number;
      linux: number;
      ok: number;
      warning: number;
      failed: number;
      blocked: number;
    };
    firstServerAvailableAfterMinutes: number | null;
    lastServerAvailableAfterMinutes: number | null;
    correctiveActions: Array<{ hostname?: string; action: string }>;
    steps: Array<{ name: string; kind: string; status: string }>;
  }>(ctx, token, 'GET', `/activations/${activation.id}/report`);
  const html = await call<string>(ctx, token, 'GET', `/activations/${activation.id}/report?format=html`);
  const reportDir = join(ctx.dataDir, 'reports');
  mkdirSync(reportDir, { recursive: true });
  const htmlPath = join(reportDir, `drp-test-${activation.id}.html`);
  const jsonPath = join(reportDir, `drp-test-${activation.id}.json`);
  writeFileSync(htmlPath, html);
  writeFileSync(jsonPath, JSON.stringify(report, null, 2));

  const s = report.summary;
  console.log('\n──────────── DRP test summary ────────────');
  console.log(`  status                       ${view.status}, then ${closed.status}`);
  console.log(`  servers in scope             ${s.servers} (${s.windows} Windows, ${s.linux} Linux)`);
  console.log(`  first server available after ${report.firstServerAvailableAfterMinutes} min`);
  console.log(`  last server available after  ${report.lastServerAvailableAfterMinutes} min`);
  console.log(
    `  ok / warning / failed        ${s.ok} / ${s.warning} / ${s.failed}${s.blocked ? ` (+${s.blocked} blocked)` : ''}`,
  );
  console.log(
    `  runbook steps                ${report.steps.map((x) => `${x.name} (${x.kind}) ${x.status}`).join(', ')}`,
  );
  for (const action of report.correctiveActions)
    console.log(
      `  corrective action            ${action.hostname ? `${action.hostname}: ` : ''}${action.action}`,
    );
  console.log(`\n  report (printable HTML)      ${htmlPath}`);
  console.log(`  report (JSON)                ${jsonPath}`);
  console.log(
    `  event store                  ${join(ctx.dataDir, 'reprise.db')} (replay it: GET /api/v1/activations/${activation.id}/events)`,
  );
  return onboarded;
}
