import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from '../support/processes';
import { deleteQueueKeys, testQueuePrefix } from '../support/redis-keys';

/**
 * Ctrl-C during `npm run demo`: the terminal sends SIGINT to the demo's process group. The demo
 * must stop its three apps and say so in one line (no `fetch failed`, no raw JSON logs), exit 130.
 */
describe('the demo stops cleanly on Ctrl-C (e2e, built demo)', () => {
  const entry = join(ROOT, 'dist', 'scripts', 'demo.js');
  const dir = mkdtempSync(join(tmpdir(), 'reprise-demo-stop-'));
  const prefix = testQueuePrefix('demo');

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await deleteQueueKeys(prefix);
  });

  it('Ctrl-C while the DRP test runs: one line, the apps stopped, exit code 130', async () => {
    if (!existsSync(entry)) throw new Error('build first: npm run build (npm test does)');
    const [api, worker, cloud] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [entry], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        API_PORT: String(api),
        WORKER_PORT: String(worker),
        RECOVERY_CLOUD_PORT: String(cloud),
        DEMO_DATA_DIR: dir,
        QUEUE_PREFIX: prefix,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // a process group of its own, as a shell gives a foreground job
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const start = Date.now();
    while (!output.includes('4. Running the semi-annual DRP test')) {
      if (child.exitCode !== null) throw new Error(`the demo ended early: ${output}`);
      if (Date.now() - start > 60_000) throw new Error(`the demo did not reach its DRP test: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500)); // the test is running
    process.kill(-child.pid!, 'SIGINT'); // Ctrl-C: the terminal signals the foreground process group

    expect(await exited).toBe(130);
    const lines = output
      .trim()
      .split('\n')
      .filter((l) => l.trim());
    expect(lines.at(-1)).toBe(
      'Demo stopped (Ctrl-C): the recovery cloud, the api and the worker are stopped.',
    );
    expect(output).not.toMatch(/fetch failed|demo failed|"level"/);
    for (const port of [api, worker, cloud]) {
      const answer = await fetch(`http://127.0.0.1:${port}/health`).then(
        () => 'answered',
        () => 'down',
      );
      expect([port, answer]).toEqual([port, 'down']);
    }
  }, 120_000);
});
