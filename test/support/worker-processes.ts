import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appEntry, freePort, ROOT } from './processes';

/**
 * Workers as real processes (the built app), for crash tests: started on a stack's environment,
 * SIGKILLed mid-work, and all stopped at the end. Build first (`npm run build`; `npm test` does).
 */
export class WorkerProcesses {
  private readonly workers = new Set<ChildProcess>();

  constructor(private readonly env: () => Record<string, string>) {
    if (!existsSync(appEntry('worker'))) throw new Error('build first: npm run build (npm test does)');
  }

  /** The workers still alive. */
  get running(): ChildProcess[] {
    return [...this.workers];
  }

  /** Starts a worker and waits until it answers /health. */
  async start(): Promise<ChildProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [appEntry('worker')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        // CRASH_WORKER_LOG=/tmp/wlog keeps each worker's log in /tmp/wlog.<pid> when debugging.
        LOG_LEVEL: process.env.CRASH_WORKER_LOG ? 'debug' : 'silent',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        ...this.env(),
        WORKER_PORT: String(port),
        WORKER_HOST: '127.0.0.1',
      },
      stdio: ['ignore', process.env.CRASH_WORKER_LOG ? 'pipe' : 'ignore', 'pipe'],
    });
    if (process.env.CRASH_WORKER_LOG) {
      const { createWriteStream } = await import('node:fs');
      const out = createWriteStream(`${process.env.CRASH_WORKER_LOG}.${child.pid}`);
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
    }
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    this.workers.add(child);
    child.on('exit', () => this.workers.delete(child));
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return child;
      if (Date.now() - started > 15_000)
        throw new Error('timed out waiting for the worker to answer /health');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL: the process dies at once, mid-step. */
  kill(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  killAll(): Promise<void[]> {
    return Promise.all(this.running.map((w) => this.kill(w)));
  }
}
