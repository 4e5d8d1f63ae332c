import { spawn, type ChildProcess } from 'node:child_process';
import { waitUntil } from '../activations/activation-helpers';
import { appEntry, freePort, ROOT } from './processes';

/**
 * Worker processes of a test: the built worker app spawned with the stack's environment (so it can
 * be SIGKILLed and started again), each answering /health before it is handed over.
 * `CRASH_WORKER_LOG=/tmp/wlog` keeps each worker's log in /tmp/wlog.<pid> when debugging.
 */
export class WorkerProcesses {
  readonly running = new Set<ChildProcess>();

  constructor(private readonly env: () => Record<string, string>) {}

  async start(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
    const port = await freePort();
    const log = process.env.CRASH_WORKER_LOG;
    const child = spawn(process.execPath, [appEntry('worker')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: log ? 'debug' : 'silent',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        ...this.env(),
        ...extraEnv,
        WORKER_PORT: String(port),
        WORKER_HOST: '127.0.0.1',
      },
      stdio: ['ignore', log ? 'pipe' : 'ignore', 'pipe'],
    });
    if (log) {
      const { createWriteStream } = await import('node:fs');
      const out = createWriteStream(`${log}.${child.pid}`);
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
    }
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    this.running.add(child);
    child.on('exit', () => this.running.delete(child));
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${stderr}`);
        return fetch(`http://127.0.0.1:${port}/health`)
          .then((r) => r.ok)
          .catch(() => false);
      },
      'the worker to answer /health',
      // Under a full parallel run on the shared 2-core machines a worker's start-up exceeded 15 s.
      60_000,
      100,
    );
    return child;
  }

  kill(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  killAll(): Promise<void[]> {
    return Promise.all([...this.running].map((c) => this.kill(c)));
  }
}
