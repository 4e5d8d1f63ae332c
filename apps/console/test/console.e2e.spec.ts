import type { Browser } from 'playwright-core';
import { BRUNO, codeFor } from '../../../test/activations/activation-helpers';
import { createTenant, enrol, startStack, type Stack } from '../../../test/support/stack';
import { keepScreenshotOnFailure, launchBrowser, openConsole, type ConsolePage } from './support/browser';
import { claireAndHugo, signIn, type ConsoleUser } from './support/users';

/**
 * The console in a real browser (Debian's Chromium, headless, through playwright-core) against the
 * real stack: recovery cloud, api (serving the built console) and worker, real SQLite and Redis.
 * The scenarios run in order on one tenant, as a DR manager's day would: sign in, enrol a server,
 * read the plan, run a DRP test live to its report, a disaster confirmed by a second person, and
 * the auditor's replay. Every wait is on something visible, never a fixed sleep.
 */
describe('the console in a browser (e2e: chromium + api + worker + recovery cloud)', () => {
  let stack: Stack;
  let browser: Browser;
  let baseUrl: string;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  let claire: ConsoleUser;
  let hugo: ConsoleUser;
  let manager: ConsolePage;
  let testId: string;
  const open: ConsolePage[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    const { port } = stack.api.app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${port}`;
    tenant = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    ({ claire, hugo } = await claireAndHugo(stack.api, tenant));
    await enrol(stack.api, tenant.manager, [
      { hostname: 'dc-01' },
      { hostname: 'dc-02' },
      { hostname: 'sql-01', dependsOn: ['dc-01'], diskGiB: 120 },
      { hostname: 'erp-app', dependsOn: ['sql-01'] },
      { hostname: 'files-01', family: 'linux', dependsOn: ['dc-02'] },
      { hostname: 'erp-web', family: 'linux', dependsOn: ['erp-app'] },
    ]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  }, 60_000);

  const scenario = (name: string, run: () => Promise<void>, timeout = 90_000) =>
    it(name, () => keepScreenshotOnFailure(name, () => open, run), timeout);

  scenario('signs in with a password and a TOTP code', async () => {
    manager = await openConsole(browser, baseUrl);
    open.push(manager);
    const page = manager.page;
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // A wrong password is refused in words, and nothing else is shown.
    await page.getByLabel('E-mail').fill(claire.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor();
    await signIn(page, claire);
    await expectText(page.locator('.user-name'), 'Claire Martin');
    expect(manager.problems).toEqual([]);
  });

  scenario('enrols a server, edits it, and imports a CSV inventory after its preview', async () => {
    const page = manager.page;
    await page.getByRole('link', { name: 'Estate' }).click();
    await page.getByRole('link', { name: 'Add a server' }).click();
    await page.getByLabel('Hostname').fill('crm-app');
    await page.getByLabel('OS family').selectOption('linux');
    await page.getByLabel('OS name').fill('Debian');
    await page.getByLabel('OS version').fill('12');
    await page.getByLabel(/^Disks/).fill('system:40; data:100');
    await page.getByLabel(/^Depends on/).selectOption(['sql-01', 'files-01']);
    await page.getByRole('button', { name: 'Enrol the server' }).click();
    await page.getByRole('heading', { name: 'crm-app', level: 1 }).waitFor();
    await expectText(page.locator('.facts'), 'sql-01');
    await expectText(page.locator('.facts'), 'files-01');
    await expectText(page.locator('.history'), 'server enrolled');
    // Edit: a shorter RTO is recorded as its own change, with the If-Match version.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('RTO (minutes)').fill('120');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectText(page.locator('.facts'), '2 h 00 min');
    await expectCount(page.locator('.history li'), 2);
    // CSV import: the preview names what is wrong, then shows what will change; only then is it applied.
    const header =
      'hostname,kind,platform,osFamily,osName,osVersion,backupMode,vcpu,ramGiB,disks,protectionClass,dependsOn';
    await page.getByRole('link', { name: 'Estate', exact: true }).click();
    await page.getByRole('link', { name: 'Import a CSV inventory' }).click();
    const inventory = page.getByLabel('Or paste the inventory');
    await inventory.fill(
      `${header}\ndc-01,virtual,vmware,windows,Windows Server,2022,agent,2,8,system:80,backup-only,`,
    );
    await page.getByRole('button', { name: 'Preview the changes' }).click();
    await expectText(page.getByRole('table'), 'Already enrolled');
    expect(await page.getByRole('button', { name: 'Apply the import' }).isDisabled()).toBe(true);
    await inventory.fill(
      `${header}\narchive-01,virtual,vmware,linux,Debian,12,agent,2,4,system:40;data:500,backup-only,`,
    );
    await page.getByRole('button', { name: 'Preview the changes' }).click();
    await page.getByText('1 new server will be enrolled').waitFor();
    await expectText(page.getByRole('table'), 'archive-01');
    await page.getByRole('button', { name: 'Apply the import' }).click();
    await page.getByText('1 server enrolled').waitFor();
    await page.getByRole('link', { name: 'See the estate' }).click();
    // The estate lists them, and the OS filter keeps crm-app among the Linux servers only.
    await page.getByRole('link', { name: 'archive-01' }).waitFor();
    await page.getByLabel('Operating system').selectOption('linux');
    await page.getByRole('link', { name: 'crm-app' }).waitFor();
    expect(await page.getByRole('link', { name: 'sql-01' }).count()).toBe(0);
    expect(manager.problems).toEqual([]);
  });

  scenario('opens the plan graph: levels, critical path, upstream and downstream on focus', async () => {
    const page = manager.page;
    await page.getByRole('link', { name: 'Plan' }).click();
    const graph = page.getByRole('group', { name: /DRP dependency graph/ });
    await graph.waitFor();
    const nodes = page.locator('g.node');
    await expectCount(nodes, 7);
    expect(await page.locator('text.level-label').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('g.node.critical').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('path.edge.critical').count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('predicted-rto').textContent()).toMatch(/\d/);
    // Keyboard only: Tab from the top of the page reaches the skip link first, then the graph's
    // servers; on sql-01 its upstream (dc-01) and downstream (erp-app, erp-web, crm-app) light up.
    await page.reload();
    await page.locator('g.node').first().waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    for (let i = 0; i < 60; i++) {
      if ((await page.evaluate(() => document.activeElement?.getAttribute('data-server'))) === 'sql-01')
        break;
      await page.keyboard.press('Tab');
    }
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-server'))).toBe('sql-01');
    await expectText(page.getByTestId('graph-summary'), 'sql-01: waits for 1 server upstream (dc-01)');
    await expectCount(page.locator('g.node.is-upstream'), 1);
    await expectCount(page.locator('g.node.is-downstream'), 3);
    // The readiness check and its findings, in words.
    await page.getByRole('button', { name: 'Run the readiness check' }).click();
    await page.getByRole('heading', { name: /Readiness:/ }).waitFor();
    expect(manager.problems).toEqual([]);
  });

  scenario(
    'launches a DRP test and follows it live to completion (a failure, its retry), without reload',
    async () => {
      const page = manager.page;
      // erp-app's first restore fails: the live view shows it with its reason, erp-web blocked behind it.
      await fetch(`${stack.cloud.url}/sim/v1/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hostname: 'erp-app', fault: 'restore-failure', times: 1 }),
      });
      await page.getByRole('link', { name: 'Activations' }).click();
      await page.getByLabel('Reason').fill('semi-annual DRP test');
      await page.getByRole('button', { name: 'Launch the DRP test' }).click();
      await page.waitForURL(/\/activations\/[0-9a-f-]{36}$/);
      testId = page.url().split('/').pop()!;
      // A marker in the page's memory: a reload would lose it.
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      await expectText(page.getByTestId('connection'), 'Live');
      // The page moves through phases as the events arrive: a failure and what it blocks, in words.
      const problems = page.getByRole('region', { name: /Problems/ });
      await expectText(problems, 'erp-app');
      await expectText(problems, 'blocked by erp-app');
      await expectText(page.locator('g.node[data-server="erp-app"]'), 'Failed');
      // The wall display: larger type for the operations room, toggled by a pressed button.
      await page.getByRole('button', { name: 'Wall display' }).click();
      expect(await page.evaluate(() => document.documentElement.classList.contains('wall'))).toBe(true);
      expect(await page.getByRole('button', { name: 'Wall display' }).getAttribute('aria-pressed')).toBe(
        'true',
      );
      // Retry the failed server: it and what it blocked run again, and the test completes.
      await page.getByRole('button', { name: 'Retry erp-app' }).click();
      await page
        .locator('.status-line .badge')
        .filter({ hasText: /^Completed$/ })
        .waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Wall display' }).click();
      await expectText(page.getByTestId('available-count'), '7 / 7');
      expect(await problems.count()).toBe(0);
      expect(await page.locator('g.node[data-phase="ok"]').count()).toBe(7);
      expect(await page.locator('g.node[aria-label*="phase: Available"]').count()).toBe(7);
      expect(await page.locator('.gantt rect.seg-restore').count()).toBeGreaterThanOrEqual(7);
      expect(await page.locator('.gantt .rto-line').count()).toBeGreaterThanOrEqual(1);
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
      expect(manager.problems).toEqual([]);
    },
  );

  scenario('closes the test and opens its report', async () => {
    const page = manager.page;
    await page.getByRole('button', { name: 'Close the test…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Close the test' }).click();
    await page.locator('.badge', { hasText: 'Closed' }).first().waitFor({ timeout: 40_000 });
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('link', { name: `Report ${testId.slice(0, 8)}` }).click();
    await page.getByRole('heading', { name: /DRP test report/ }).waitFor();
    await expectText(page.getByTestId('report-last-server'), 'min');
    await expectCount(page.locator('.report tbody tr'), 7);
    expect(await page.getByRole('button', { name: 'Print' }).isVisible()).toBe(true);
    expect(manager.problems).toEqual([]);
  });

  scenario('a disaster requested by one user is confirmed by another with their own code', async () => {
    const page = manager.page;
    // A one-time code lasts 15 simulated minutes: slow the simulated clock to real time while the
    // second person signs in and types it, then speed it up again for the failover itself.
    await setClockScale(1);
    await page.getByRole('link', { name: 'Activations' }).click();
    await page.getByLabel('Disaster failover').check();
    await page.getByLabel('Reason').fill('primary datacentre flooded');
    await page.getByRole('button', { name: 'Request a disaster failover…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Request the failover' }).click();
    await page.waitForURL(/\/activations\/[0-9a-f-]{36}$/);
    const disasterId = page.url().split('/').pop()!;
    await page.locator('.badge', { hasText: 'Awaiting confirmation' }).first().waitFor();
    await page.getByText('You requested it, so you cannot confirm it.').waitFor();

    const second = await openConsole(browser, baseUrl);
    open.push(second);
    await signIn(second.page, hugo);
    await second.page.goto(`/activations/${disasterId}`);
    await second.page.getByRole('button', { name: 'Confirm the failover…' }).click();
    const dialog = second.page.getByRole('dialog');
    // Each authorised person but the requester got their own code: Bruno's is not Hugo's, refused in words.
    const brunoCode = await codeOf(disasterId, BRUNO.email);
    const hugoCode = await codeOf(disasterId, hugo.email);
    expect(brunoCode).not.toBe(hugoCode);
    await dialog.getByLabel('Your one-time code').fill(brunoCode);
    await dialog.getByRole('button', { name: 'Confirm the failover' }).click();
    await dialog.getByRole('alert').waitFor();
    await dialog.getByLabel('Your one-time code').fill(hugoCode);
    await dialog.getByRole('button', { name: 'Confirm the failover' }).click();
    await second.page.locator('.status-line', { hasText: 'confirmed by Hugo Bernard' }).waitFor();
    await setClockScale(600);
    // Both pages follow the failover live, no reload.
    for (const p of [page, second.page])
      await p
        .locator('.badge', { hasText: /Running|Completed/ })
        .first()
        .waitFor({ timeout: 30_000 });
    await expectText(page.locator('.status-line'), 'confirmed by Hugo Bernard');
    await page.locator('.badge', { hasText: 'Completed' }).first().waitFor({ timeout: 60_000 });
    expect(second.problems).toEqual([]);
    expect(manager.problems).toEqual([]);
  });

  scenario('the audit time slider shows an earlier state of the test', async () => {
    const page = manager.page;
    await page.getByRole('link', { name: 'Audit' }).click();
    await expectText(page.getByTestId('verify-result'), 'Valid');
    await page.getByLabel('Activation', { exact: true }).selectOption(testId);
    const state = page.getByTestId('replay-state');
    await expectText(state, 'Closed');
    const slider = page.getByRole('slider');
    await slider.focus();
    await page.keyboard.press('Home');
    await expectText(page.getByTestId('replay-instant'), 'ActivationRequested');
    await expectText(state, 'Running');
    expect(await state.locator('.badge.phase-pending').count()).toBe(7);
    // Halfway: some servers are up, not all.
    await slider.fill(String(Math.floor(Number(await slider.getAttribute('max')) / 2)));
    await until(
      async () => (await state.locator('.badge.phase-ok').count()) < 7,
      'fewer than 7 servers up halfway',
    );
    expect(manager.problems).toEqual([]);
  });

  scenario(
    'beside the live disaster: widening it names what is already in, and a restore test runs on demand',
    async () => {
      const page = manager.page;
      // the full failover already holds every DRP server: widening it has nothing to add
      await page.getByRole('link', { name: 'Activations' }).click();
      await page
        .getByRole('link', { name: /^Disaster failover/ })
        .first()
        .click();
      await page.getByRole('button', { name: 'Widen the failover…' }).click();
      const widen = page.getByRole('dialog');
      await widen.getByLabel(/^Servers/).fill('full');
      await widen.getByRole('button', { name: 'Ask for confirmation' }).click();
      await expectText(widen.getByRole('alert'), 'already in this failover');
      await widen.getByRole('button', { name: 'Cancel' }).click();
      await enrol(stack.api, tenant.manager, [{ hostname: 'bk-01', protectionClass: 'backup-with-tests' }]);
      await page.getByRole('link', { name: 'Activations' }).click();
      await page.getByLabel('Restore test').check();
      // a DRP server held by the live disaster is refused by name
      await page.getByRole('group', { name: 'Servers in scope' }).getByLabel('dc-01').check();
      await page.getByRole('button', { name: 'Launch the restore test' }).click();
      await expectText(page.getByRole('alert'), 'dc-01');
      await page.getByRole('group', { name: 'Servers in scope' }).getByLabel('dc-01').uncheck();
      await page.getByRole('group', { name: 'Servers in scope' }).getByLabel('bk-01').check();
      await page.getByRole('button', { name: 'Launch the restore test' }).click();
      await page.waitForURL(/\/activations\/[0-9a-f-]{36}$/);
      await page.getByRole('heading', { name: /^Restore test/ }).waitFor();
      // it restores, checks, reports and tears down by itself
      await page.locator('.badge', { hasText: 'Closed' }).first().waitFor({ timeout: 60_000 });
      expect(manager.problems).toEqual([]);
    },
  );

  async function setClockScale(scale: number) {
    const res = await fetch(`${stack.cloud.url}/sim/v1/clock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scale }),
    });
    if (!res.ok) throw new Error(`sim clock: ${res.status} ${await res.text()}`);
  }

  /** The one-time code the tenant's webhook received for `email` (each recipient gets their own). */
  const codeOf = (activationId: string, email: string) => codeFor(stack, activationId, email);
});

async function expectText(locator: import('playwright-core').Locator, text: string) {
  await locator.filter({ hasText: text }).first().waitFor();
}

async function expectCount(locator: import('playwright-core').Locator, count: number) {
  await until(async () => (await locator.count()) === count, `${count} × ${locator}`);
}

/** Polls `condition` until it holds (generous deadline for a loaded 2-core machine). */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`still waiting after ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
