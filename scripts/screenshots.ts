/**
 * `npm run screenshots`: the README's pictures of the console, taken from a real run. Starts the
 * recovery cloud, the api (serving the built console) and the worker on free ports with a fresh data
 * directory, onboards the demo customer, signs in with Chromium (TOTP included), then captures the
 * plan graph (critical path drawn) and the live view of a DRP test in progress into `docs/`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { enrolConsoleUsers, totpNow } from './demo/console-users';
import { freePort, redisAnswers, startApp, stopAll, waitForHealth, type AppProcess } from './demo/processes';
import { onboard, readinessCheck } from './demo/scenario';

const ROOT = join(__dirname, '..', '..');
const DOCS = join(ROOT, 'docs');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await redisAnswers(redisUrl))) throw new Error(`Redis does not answer on ${redisUrl}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'reprise-screenshots-'));
  const [apiPort, workerPort, cloudPort] = [await freePort(), await freePort(), await freePort()];
  const adminToken = randomBytes(24).toString('hex');
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    SQLITE_PATH: join(dataDir, 'reprise.db'),
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `reprise-shots-${randomBytes(4).toString('hex')}`,
    REPRISE_ADMIN_TOKEN: adminToken,
    API_PORT: String(apiPort),
    WORKER_PORT: String(workerPort),
    RECOVERY_CLOUD_PORT: String(cloudPort),
    RECOVERY_CLOUD_URL: `http://127.0.0.1:${cloudPort}`,
    CLOCK: 'simulated',
    SIM_TIME_SCALE: process.env.SIM_TIME_SCALE ?? '300',
    REPRISE_DEFAULT_CADENCE: 'off',
  };
  const apps: AppProcess[] = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  try {
    apps.push(startApp('recovery-cloud', cloudPort, env));
    await waitForHealth(apps[0]);
    apps.push(startApp('api', apiPort, env), startApp('worker', workerPort, env));
    for (const app of apps) await waitForHealth(app);
    const ctx = {
      apiUrl: `http://127.0.0.1:${apiPort}`,
      cloudUrl: `http://127.0.0.1:${cloudPort}`,
      adminToken,
      dataDir,
    };
    const { tenantId, token } = await onboard(ctx, () => undefined);
    await readinessCheck(ctx, token);
    const [claire] = await enrolConsoleUsers(ctx, tenantId);

    const context = await browser.newContext({
      baseURL: ctx.apiUrl,
      viewport: { width: 1600, height: 1000 },
      deviceScaleFactor: 1,
    });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('E-mail').fill(claire.email);
    await page.getByLabel('Password').fill(claire.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Authentication code').fill(totpNow(claire.totpSecret).code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    await page.getByRole('link', { name: 'Plan' }).click();
    await page.locator('g.node').first().waitFor();
    await page.getByRole('button', { name: 'Run the readiness check' }).click();
    await page.getByRole('heading', { name: /Readiness:/ }).waitFor();
    const plan = join(DOCS, 'console-plan.png');
    await page.screenshot({ path: plan, fullPage: true });
    console.log(`plan graph  → ${plan}`);

    await page.getByRole('link', { name: 'Activations' }).click();
    await page.getByLabel('Reason').fill('Semi-annual DRP test');
    await page.getByRole('button', { name: 'Launch the DRP test' }).click();
    await page.waitForURL(/\/activations\/[0-9a-f-]{36}$/);
    // Mid-run: about half of the servers up.
    const available = page.getByTestId('available-count');
    for (;;) {
      const [up, total] = ((await available.textContent()) ?? '0 / 1')
        .split('/')
        .map((x) => Number(x.trim()));
      if (up >= total / 2) break;
      await page.waitForTimeout(200);
    }
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const live = join(DOCS, 'console-live.png');
    await page.screenshot({ path: live, fullPage: true });
    console.log(`live view   → ${live}`);
  } finally {
    await browser.close();
    await stopAll(apps);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`screenshots failed: ${(error as Error).message}`);
  process.exit(1);
});
