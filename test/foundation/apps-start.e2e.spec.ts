import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startRecoveryCloud,
  type RunningRecoveryCloud,
} from '../../apps/recovery-cloud/src/recovery-cloud.app';
import { NO_CLOUD } from '../support/api-harness';
import { appEntry, freePort, ROOT, runToExit } from '../support/processes';
import { deleteQueueKeys, testQueuePrefix } from '../support/redis-keys';

describe('apps start from the build (e2e)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'reprise-start-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the api stops with one clear line per wrong or missing variable', async () => {
    const result = await runToExit('api', { API_PORT: 'abc', SQLITE_PATH: join(dir, 'x.db') });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\[api\] configuration error: API_PORT: .*\(got "abc"\)$/),
        expect.stringMatching(/^\[api\] configuration error: REPRISE_ADMIN_TOKEN: is required \(not set\)$/),
      ]),
    );
  });

  describe('one clock: the api and the worker ask the recovery cloud for its clock at start-up', () => {
    let cloud: RunningRecoveryCloud;
    beforeAll(async () => (cloud = await startRecoveryCloud({ seed: 1, timeScale: 600 })));
    afterAll(async () => cloud.app.close());

    it.each(['api', 'worker'] as const)(
      'the %s refuses to start with CLOCK=system against the simulator at 600x, in one line',
      async (app) => {
        const prefix = testQueuePrefix('clock');
        const result = await runToExit(app, {
          CLOCK: 'system',
          RECOVERY_CLOUD_URL: cloud.url,
          SQLITE_PATH: join(dir, `${app}-clock.db`),
          REPRISE_ADMIN_TOKEN: 'start-test-admin-token',
          API_PORT: '0',
          WORKER_PORT: '0',
          QUEUE_PREFIX: prefix,
          LOG_LEVEL: 'silent',
        });
        await deleteQueueKeys(prefix); // the worker's queues were set up before it refused
        expect(result.code).toBe(1);
        const lines = result.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(
            `^\\[${app}\\] failed to start: clock mismatch: .*600× real time.* but CLOCK=system.*set CLOCK=simulated`,
          ),
        );
      },
    );
  });

  it('the worker starts and answers /health with the event store and Redis up', async () => {
    const port = await freePort();
    const prefix = testQueuePrefix('start');
    const child = spawn(process.execPath, [appEntry('worker')], {
      cwd: ROOT,
      env: {
        ...process.env,
        WORKER_PORT: String(port),
        SQLITE_PATH: join(dir, 'worker.db'),
        LOG_LEVEL: 'silent',
        RECOVERY_CLOUD_URL: NO_CLOUD,
        CLOCK: 'system',
        QUEUE_PREFIX: prefix,
      },
      stdio: 'ignore',
    });
    try {
      let body: { status?: string; info?: Record<string, { status: string }> } = {};
      for (let i = 0; i < 100; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/health`);
          body = (await res.json()) as typeof body;
          if (res.ok) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(body.status).toBe('ok');
      expect(body.info?.eventStore.status).toBe('up');
      expect(body.info?.redis.status).toBe('up');
    } finally {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      await deleteQueueKeys(prefix);
    }
  });

  it('the api starts without a LegacyRouteConverter warning (every route in path-to-regexp v8 syntax)', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [appEntry('api')], {
      cwd: ROOT,
      env: {
        ...process.env,
        API_PORT: String(port),
        API_HOST: '127.0.0.1',
        SQLITE_PATH: join(dir, 'api.db'),
        REPRISE_ADMIN_TOKEN: 'start-up-log-token-0123456789',
        LOG_LEVEL: 'info',
      },
    });
    let logs = '';
    child.stdout.on('data', (d) => (logs += d));
    child.stderr.on('data', (d) => (logs += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!logs.includes('Nest application successfully started')) {
        if (Date.now() > deadline) throw new Error(`the api did not start: ${logs.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(logs).toContain('"context":"RoutesResolver"'); // the start-up logs were captured
      const warnings = logs.split('\n').filter((line) => line.includes('LegacyRouteConverter'));
      expect(warnings).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
