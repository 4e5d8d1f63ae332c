import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); no browser is downloaded. `CHROMIUM_PATH` overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where failing browser tests leave a screenshot (ignored by git). */
export const FAILURE_DIR = join(__dirname, '..', 'screenshots');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Headless Chromium driven by playwright-core. Playwright gives each launch a fresh user-data-dir
 * (a new temporary profile) and each context its own cookies, so two people can be signed in at once.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\``);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Content-Security-Policy violations and page errors seen so far (must stay empty). */
  problems: string[];
}

/** A fresh browser context (its own cookies) on the console at `baseUrl`. */
export async function openConsole(
  browser: Browser,
  baseUrl: string,
  viewport = { width: 1440, height: 900 },
) {
  const context = await browser.newContext({ baseURL: baseUrl, viewport });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
      problems.push(`CSP: ${message.text()}`);
  });
  return { context, page, problems } satisfies ConsolePage;
}

/**
 * Runs a browser scenario; on failure prints the pages' errors, keeps a full-page screenshot of
 * every open page under `apps/console/test/screenshots/` and prints where, then fails with the
 * original error.
 */
export async function keepScreenshotOnFailure(
  name: string,
  consoles: () => ConsolePage[],
  run: () => Promise<void>,
) {
  try {
    await run();
  } catch (error) {
    mkdirSync(FAILURE_DIR, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (const [i, { page, problems }] of consoles().entries()) {
      for (const problem of problems) process.stderr.write(`[browser test] page ${i}: ${problem}\n`);
      const path = join(FAILURE_DIR, `${name.replace(/\W+/g, '-')}-${stamp}-${i}.png`);
      try {
        await page.screenshot({ path, fullPage: true, timeout: 10_000 });
        process.stderr.write(`[browser test] failure screenshot: ${path}\n`);
      } catch (screenshotError) {
        process.stderr.write(`[browser test] no screenshot (${(screenshotError as Error).message})\n`);
      }
    }
    throw error;
  }
}
