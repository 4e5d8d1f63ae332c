import type { Browser, Locator } from 'playwright-core';
import { BRUNO, sim, waitUntil } from '../../../test/activations/activation-helpers';
import { nextCode, setOriginalSite } from '../../../test/failback/failback-helpers';
import {
  createTenant,
  enrol,
  startStack,
  bearer,
  waitForStatus,
  type Stack,
} from '../../../test/support/stack';
import { keepScreenshotOnFailure, launchBrowser, openConsole, type ConsolePage } from './support/browser';
import { claireAndHugo, signIn, type ConsoleUser } from './support/users';

/**
 * Failback in a real browser against the real stack (api serving the console, worker, recovery
 * cloud, SQLite, Redis): a disaster completed at the recovery site while the original site was
 * down; once the site is up again, one DR manager asks for the failback from the live view, another
 * confirms it with their own one-time code, and both watch the failback panel until the activation
 * has failed back, every server back at the original site with no data lost.
 */
describe('the console: failback under four eyes (e2e: chromium + api + worker + recovery cloud)', () => {
  let stack: Stack;
  let browser: Browser;
  let baseUrl: string;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  let claire: ConsoleUser;
  let hugo: ConsoleUser;
  let disasterId: string;
  const open: ConsolePage[] = [];
  const HOSTS = ['dc-01', 'sql-01', 'erp-web'];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    const { port } = stack.api.app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${port}`;
    tenant = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    ({ claire, hugo } = await claireAndHugo(stack.api, tenant));
    await enrol(stack.api, tenant.manager, [
      { hostname: 'dc-01' },
      { hostname: 'sql-01', dependsOn: ['dc-01'], diskGiB: 120 },
      { hostname: 'erp-web', family: 'linux', dependsOn: ['sql-01'] },
    ]);
    // The disaster: the original site is down, the whole DRP runs at the recovery site (through the API).
    await setOriginalSite(stack, tenant.id, 'down');
    const post = (path: string, body: object) =>
      stack.api.http.post(`/api/v1${path}`).set(bearer(tenant.manager)).send(body);
    const { body } = await post('/activations', {
      type: 'disaster',
      scope: 'full',
      requestedBy: { name: claire.name, email: claire.email },
    }).expect(202);
    disasterId = body.id;
    const code = await nextCode(stack, disasterId, BRUNO.email, 0);
    await post(`/activations/${disasterId}/confirm`, { email: BRUNO.email, code }).expect(200);
    await waitForStatus(stack.api, tenant.manager, disasterId, ['completed'], 90_000);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  }, 60_000);

  const setClockScale = (scale: number) => sim(stack, '/sim/v1/clock', 'PUT', { scale });

  /** The failback phase of each server as the panel shows it. */
  async function phases(panel: Locator): Promise<Record<string, string>> {
    const rows = await panel.locator('tbody tr').all();
    const out: Record<string, string> = {};
    for (const row of rows) {
      const cells = await row.locator('td').allTextContents();
      out[cells[0]] = cells[1];
    }
    return out;
  }

  it(
    'one asks for the failback, another confirms with their own code; the panel follows it to failed back',
    () =>
      keepScreenshotOnFailure(
        'failback',
        () => open,
        async () => {
          await setOriginalSite(stack, tenant.id, 'up');
          // A one-time code lasts 15 simulated minutes: real time while people sign in and type it.
          await setClockScale(1);
          const requester = await openConsole(browser, baseUrl);
          open.push(requester);
          const page = requester.page;
          await signIn(page, claire);
          await page.goto(`/activations/${disasterId}`);
          await page.getByRole('button', { name: 'Fail back…' }).click();
          const ask = page.getByRole('dialog');
          await ask.getByLabel(/^Reason/).fill('primary datacentre repaired');
          await ask.getByRole('button', { name: 'Fail back' }).click();
          await page.locator('.badge', { hasText: 'Failback awaiting confirmation' }).first().waitFor();
          await page.getByText('You requested it, so you cannot confirm it.').waitFor();
          expect(await page.getByRole('button', { name: 'Confirm the failback…' }).count()).toBe(0);

          const second = await openConsole(browser, baseUrl);
          open.push(second);
          await signIn(second.page, hugo);
          await second.page.goto(`/activations/${disasterId}`);
          await second.page.getByText('requested the failback to the original site').waitFor();
          await second.page.getByRole('button', { name: 'Confirm the failback…' }).click();
          const dialog = second.page.getByRole('dialog');
          // Hugo's second code (his first confirmed nothing: Bruno confirmed the disaster); Bruno's is not his.
          const hugoCode = await nextCode(stack, disasterId, hugo.email, 1);
          const brunoCode = await nextCode(stack, disasterId, BRUNO.email, 1);
          expect(hugoCode).not.toBe(brunoCode);
          await dialog.getByLabel('Your one-time code').fill(brunoCode);
          await dialog.getByRole('button', { name: 'Confirm the failback' }).click();
          await dialog.getByRole('alert').waitFor();
          await dialog.getByLabel('Your one-time code').fill(hugoCode);
          await dialog.getByRole('button', { name: 'Confirm the failback' }).click();
          const panel = second.page.getByRole('region', { name: 'Failback to the original site' });
          await panel.waitFor();

          // Progress, live on the requester's page too (no reload): phases move on while it runs.
          const watched = page.getByRole('region', { name: 'Failback to the original site' });
          await watched.waitFor({ timeout: 30_000 });
          await setClockScale(60);
          const seen = new Set<string>();
          await waitUntil(
            async () => {
              for (const phase of Object.values(await phases(watched))) seen.add(phase);
              return seen.has('back') && [...seen].some((p) => p !== 'back');
            },
            'the failback panel showing servers on their way back, then back',
            90_000,
            100,
          );
          await setClockScale(600);
          for (const p of [page, second.page])
            await p
              .locator('.badge', { hasText: /^Failed back$/ })
              .first()
              .waitFor({ timeout: 90_000 });

          const end = await phases(watched);
          expect(end).toEqual(Object.fromEntries(HOSTS.map((h) => [h, 'back'])));
          const summary = (await watched.locator('p').first().textContent()) ?? '';
          expect(summary).toContain('data loss 0 GiB');
          expect(Number(/^([\d.]+) GiB sent back/.exec(summary)?.[1])).toBeGreaterThan(0);
          const view = (
            await stack.api.http
              .get(`/api/v1/activations/${disasterId}`)
              .set(bearer(tenant.manager))
              .expect(200)
          ).body;
          expect(view).toMatchObject({
            status: 'failed-back',
            failback: { confirmedBy: { email: hugo.email }, requestedBy: { email: claire.email } },
          });
          expect(requester.problems).toEqual([]);
          expect(second.problems).toEqual([]);
        },
      ),
    240_000,
  );
});
