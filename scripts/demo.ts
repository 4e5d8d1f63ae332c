/**
 * `npm run demo`: the main job. Starts the recovery cloud, the api and the worker, checks each one
 * answers /health, then runs the demo scenario.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppProcess, redisAnswers, startApp, stopAll, waitForHealth } from './demo/processes';

const API_PORT = Number(process.env.API_PORT ?? 3000);
const WORKER_PORT = Number(process.env.WORKER_PORT ?? 3001);
const CLOUD_PORT = Number(process.env.RECOVERY_CLOUD_PORT ?? 3100);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Simulated seconds per wall second once the demo hands over to the console. */
const CONSOLE_TIME_SCALE = 20;

async function main(): Promise<void> {
  if (!(await redisAnswers(REDIS_URL))) {
    console.error(
      `Redis does not answer on ${REDIS_URL}: start it with \`redis-server --daemonize yes\` (or \`sudo apt-get install redis-server\`), or set REDIS_URL.`,
    );
    process.exit(1);
  }
  const dataDir = resolve(process.env.DEMO_DATA_DIR ?? join('data', 'demo'));
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const adminToken = process.env.REPRISE_ADMIN_TOKEN ?? randomBytes(24).toString('hex');
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    SQLITE_PATH: join(dataDir, 'reprise.db'),
    REDIS_URL,
    REPRISE_ADMIN_TOKEN: adminToken,
    API_PORT: String(API_PORT),
    WORKER_PORT: String(WORKER_PORT),
    RECOVERY_CLOUD_PORT: String(CLOUD_PORT),
    RECOVERY_CLOUD_URL: `http://127.0.0.1:${CLOUD_PORT}`,
    CLOCK: 'simulated',
    SIM_TIME_SCALE: process.env.SIM_TIME_SCALE ?? '600',
    QUEUE_PREFIX: process.env.QUEUE_PREFIX ?? 'reprise-demo',
  };
  const apps: AppProcess[] = [];
  // Ctrl-C: stop the scenario where it is, stop the apps, say so in one line, exit 130.
  const interrupted = new AbortController();
  const shutdown = async (code: number) => {
    await stopAll(apps);
    process.exit(code);
  };
  process.on('SIGINT', () => {
    if (interrupted.signal.aborted) return;
    interrupted.abort();
    void stopAll(apps).then(() => {
      process.stdout.write(
        '\nDemo stopped (Ctrl-C): the recovery cloud, the api and the worker are stopped.\n',
      );
      process.exit(130);
    });
  });
  // The apps run in their own process groups: never leave them behind.
  process.on('exit', () => {
    for (const app of apps) if (app.child.exitCode === null) app.child.kill('SIGKILL');
  });
  try {
    console.log('Reprise demo: starting the recovery cloud, the api and the worker…');
    apps.push(startApp('recovery-cloud', CLOUD_PORT, env));
    await waitForHealth(apps[0]);
    apps.push(startApp('api', API_PORT, env), startApp('worker', WORKER_PORT, env));
    for (const app of apps) {
      await waitForHealth(app);
      console.log(`  ✔ ${app.name.padEnd(15)} ${app.url}/health`);
    }
    const { runScenario } = await import('./demo/scenario');
    const { enrolConsoleUsers, startCodePrinter } = await import('./demo/console-users');
    const codes = await startCodePrinter((line) => console.log(`\n  ✉ ${line}`));
    const ctx = {
      apiUrl: `http://127.0.0.1:${API_PORT}`,
      cloudUrl: `http://127.0.0.1:${CLOUD_PORT}`,
      adminToken,
      dataDir,
      webhookUrl: codes.url,
      signal: interrupted.signal,
    };
    const { tenantId } = await runScenario(ctx);
    const users = await enrolConsoleUsers(ctx, tenantId);
    // People now drive it: slow the simulated clock so a one-time code (15 simulated minutes) lasts
    // 45 seconds; a DRP test of the whole estate then takes about 8 minutes.
    await fetch(`${ctx.cloudUrl}/sim/v1/clock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scale: CONSOLE_TIME_SCALE }),
    });
    await showConsole(users);
  } catch (error) {
    if (interrupted.signal.aborted) return; // stopping: the SIGINT handler says it in one line
    console.error(`demo failed: ${(error as Error).message}`);
    for (const app of apps)
      if (app.logs.length) console.error(`--- last lines of ${app.name}:\n${app.logs.slice(-10).join('\n')}`);
    await shutdown(1);
  }
}

/**
 * The demo ends on the console: its address and the demo users' sign-in, with their current TOTP
 * codes refreshed in place (on a terminal) until Ctrl-C.
 */
async function showConsole(
  users: Array<{ email: string; name: string; password: string; totpSecret: string }>,
) {
  const { totpNow } = await import('./demo/console-users');
  const [first, second] = users;
  console.log(`
──────────── The console ────────────
  open          http://localhost:${API_PORT}/
  sign in as    ${first.email}   password ${first.password}
  TOTP code     shown below, or \`npm run demo:totp\` in another terminal
  second person ${second.email}   password ${second.password}   (confirms a disaster with the one-time code printed here)
  clock         simulated, now ${CONSOLE_TIME_SCALE}× real time: a one-time code stays valid 45 s, a full DRP test takes about 8 min
  Ctrl-C stops everything.
`);
  const line = () =>
    users.map((u) => `${u.name.split(' ')[0]}: ${totpNow(u.totpSecret).code}`).join('   ') +
    `   (${totpNow(first.totpSecret).secondsLeft} s left)`;
  if (!process.stdout.isTTY) {
    console.log(`  TOTP now      ${line()}`);
    return;
  }
  const draw = () => process.stdout.write(`\r\x1b[2K  TOTP now      ${line()}`);
  draw();
  setInterval(draw, 1000).unref();
}

void main();
