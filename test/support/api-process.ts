import { spawn, type ChildProcess } from 'node:child_process';
import { NO_CLOUD } from './api-harness';
import { appEntry, freePort, ROOT } from './processes';

/** A built api running in its own process (for tests that need several processes, or SIGKILL). */
export interface ApiProcess {
  child: ChildProcess;
  url: string;
  /** `/api/v1` call with a bearer token; the JSON answer (or null). */
  call(
    method: string,
    path: string,
    body: unknown,
    token: string,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
}

/** Spawns `dist/apps/api` with `env` (store, read models, admin token, queue prefix) and waits for /health. */
export async function spawnApi(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [appEntry('api')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      RECOVERY_CLOUD_URL: NO_CLOUD,
      CLOCK: 'system',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const start = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() - start > 30_000) throw new Error(`api did not answer /health: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    async call(method, path, body, token) {
      const res = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
    },
    kill: (signal) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
