import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort, startApp, stopAll, waitForHealth } from '../../scripts/demo/processes';

export interface BenchStack {
  apiUrl: string;
  cloudUrl: string;
  admin: string;
  codes: Map<string, string>;
  webhookUrl: string;
  call<T>(token: string, method: string, path: string, body?: unknown): Promise<T>;
  sim<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** The three apps as separate processes (the deployment shape), plus a webhook catching codes. */
export async function startBenchStack(env: Record<string, string> = {}): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
  const [apiPort, workerPort, cloudPort] = [await freePort(), await freePort(), await freePort()];
  const admin = randomBytes(24).toString('hex');
  const codes = new Map<string, string>();
  const hook: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body || '{}') as { activationId?: string; code?: string };
      if (parsed.activationId && parsed.code) codes.set(parsed.activationId, parsed.code);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const webhookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  const common = {
    LOG_LEVEL: 'silent',
    SQLITE_PATH: join(dir, 'reprise.db'),
    REPRISE_ADMIN_TOKEN: admin,
    RECOVERY_CLOUD_URL: `http://127.0.0.1:${cloudPort}`,
    RECOVERY_CLOUD_PORT: String(cloudPort),
    API_PORT: String(apiPort),
    WORKER_PORT: String(workerPort),
    CLOCK: 'simulated',
    QUEUE_PREFIX: `reprise-bench-${randomUUID().slice(0, 8)}`,
    ...env,
  };
  const apps: AppProcess[] = [startApp('recovery-cloud', cloudPort, common)];
  await waitForHealth(apps[0]);
  apps.push(startApp('api', apiPort, common), startApp('worker', workerPort, common));
  for (const app of apps) await waitForHealth(app);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const cloudUrl = `http://127.0.0.1:${cloudPort}`;
  const request = async <T>(
    url: string,
    method: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<T> => {
    const res = await fetch(url, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    apiUrl,
    cloudUrl,
    admin,
    codes,
    webhookUrl,
    call: (token, method, path, body) =>
      request(`${apiUrl}/api/v1${path}`, method, { authorization: `Bearer ${token}` }, body),
    sim: (method, path, body) => request(`${cloudUrl}${path}`, method, {}, body),
    close: async () => {
      await stopAll(apps);
      await new Promise<void>((r) => hook.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
