import type { Browser } from 'playwright-core';
import { createTenant, enrol, startStack, bearer, type Stack } from '../../../test/support/stack';
import { keepScreenshotOnFailure, launchBrowser, openConsole, type ConsolePage } from './support/browser';
import { createUser, signIn, type ConsoleUser } from './support/users';

/**
 * The runbook steps panel in a real browser against the real stack: a DRP test whose web server
 * waits for the application owner's sign-off; the DR manager signs it off from the live view and
 * the test completes, without reload.
 */
describe('the console: runbook steps and their sign-off (e2e: chromium + api + worker + recovery cloud)', () => {
  let stack: Stack;
  let browser: Browser;
  let baseUrl: string;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  let claire: ConsoleUser;
  let manager: ConsolePage;
  const open: ConsolePage[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    const { port } = stack.api.app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${port}`;
    tenant = await createTenant(stack.api);
    claire = await createUser(stack.api, tenant.id, {
      email: 'claire.martin@acme.example',
      name: 'Claire Martin',
      role: 'dr-manager',
    });
    const ids = await enrol(stack.api, tenant.manager, [
      { hostname: 'sql-01', family: 'linux' },
      { hostname: 'erp-web', family: 'linux', dependsOn: ['sql-01'] },
    ]);
    await stack.api.http
      .put('/api/v1/plan/runbook')
      .set(bearer(tenant.manager))
      .send({
        steps: [
          {
            name: 'erp-sign-off',
            kind: 'manual',
            after: ['sql-01'],
            instructions: 'Post a test order in the ERP',
            timeoutMinutes: 10_000,
          },
        ],
      })
      .expect(200);
    await stack.api.http
      .put(`/api/v1/servers/${ids['erp-web']}/dependencies`)
      .set(bearer(tenant.manager))
      .send({ dependsOn: ['sql-01', 'erp-sign-off'] })
      .expect(200);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  }, 60_000);

  it(
    'shows the steps live and signs off the one waiting; the web tier then starts',
    () =>
      keepScreenshotOnFailure(
        'runbook sign-off',
        () => open,
        async () => {
          manager = await openConsole(browser, baseUrl);
          open.push(manager);
          const page = manager.page;
          await signIn(page, claire);
          await page.getByRole('link', { name: 'Activations' }).click();
          await page.getByLabel('Reason').fill('runbook rehearsal');
          await page.getByRole('button', { name: 'Launch the DRP test' }).click();
          await page.waitForURL(/\/activations\/[0-9a-f-]{36}$/);
          const panel = page.getByRole('region', { name: 'Runbook steps' });
          const row = panel.locator('tr[data-step="erp-sign-off"]');
          await row.getByText('Waiting for sign-off').waitFor({ timeout: 60_000 });
          await row.getByText('Post a test order in the ERP').waitFor();
          // erp-web has not started: it waits for the sign-off
          const web = page.locator('tr[data-server="erp-web"]');
          expect(await web.locator('.badge').textContent()).not.toMatch(/Available|Booting|Checking/);
          await row.getByRole('button', { name: 'Sign off erp-sign-off' }).click();
          const dialog = page.getByRole('dialog');
          await dialog.getByLabel('Note (optional)').fill('order 4711 posted');
          await dialog.getByRole('button', { name: 'Sign off' }).click();
          await row.getByText('Done').waitFor();
          await page
            .locator('.status-line .badge')
            .filter({ hasText: /^Completed$/ })
            .waitFor({ timeout: 60_000 });
          await page.getByTestId('available-count').filter({ hasText: '2 / 2' }).waitFor();
          expect(manager.problems).toEqual([]);
        },
      ),
    120_000,
  );
});
