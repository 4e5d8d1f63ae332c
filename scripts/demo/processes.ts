import { ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';

export interface AppProcess {
  name: string;
  url: string;
  child: ChildProcess;
  logs: string[];
}

const ROOT = join(__dirname, '..', '..', '..');

/** Starts one built app (`dist/apps/<name>/src/main.js`) with the given environment. */
export function startApp(
  name: 'api' | 'worker' | 'recovery-cloud',
  port: number,
  env: Record<string, string>,
): AppProcess {
  const profile = process.env.REPRISE_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.REPRISE_CPU_PROF}`]
    : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, 'dist', 'apps', name, 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal reaches the demo only, which stops the apps
    // in order (SIGTERM, then SIGKILL after 5 s) instead of racing them.
    detached: true,
  });
  const logs: string[] = [];
  const keep = (chunk: Buffer) => {
    logs.push(...chunk.toString().split('\n').filter(Boolean));
    if (logs.length > 200) logs.splice(0, logs.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, url: `http://127.0.0.1:${port}`, child, logs };
}

export async function waitForHealth(app: AppProcess, timeoutMs = 30_000): Promise<unknown> {
  const start = Date.now();
  let lastError = '';
  while (Date.now() - start < timeoutMs) {
    if (app.child.exitCode !== null)
      throw new Error(`${app.name} exited (${app.child.exitCode}): ${app.logs.slice(-5).join(' | ')}`);
    try {
      const res = await fetch(`${app.url}/health`);
      const body = await res.json();
      if (res.ok) return body;
      lastError = JSON.stringify(body);
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${app.name} did not answer /health within ${timeoutMs / 1000} s: ${lastError}`);
}

export function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString().includes('PONG')));
    socket.on('error', () => done(false));
  });
}

export async function stopAll(apps: AppProcess[]): Promise<void> {
  await Promise.all(
    apps.map(
      (app) =>
        new Promise<void>((resolve) => {
          if (app.child.exitCode !== null) return resolve();
          app.child.once('exit', () => resolve());
          app.child.kill('SIGTERM');
          setTimeout(() => app.child.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
}

/** A TCP port free on the loopback interface right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
