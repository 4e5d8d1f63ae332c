import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';

/**
 * `npm run bench -- estate`: onboard 5,000 servers with a random dependency DAG through the real
 * HTTP API (CSV import, one request), then time GET /plan and POST /plan/check.
 * Goals: import < 10 s, plan < 200 ms, check < 500 ms.
 */
const SERVERS = 5000;
const MAX_DEPS = 3;
const RUNS = 10;
const ADMIN = 'bench-admin-token-0123456789';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function inventoryCsv(count: number): string {
  const random = rng(42);
  const name = (i: number) => `srv-${String(i).padStart(5, '0')}`;
  const lines = [
    'hostname,kind,platform,osFamily,osName,osVersion,backupMode,vcpu,ramGiB,disks,protectionClass,dependsOn,rtoMinutes',
  ];
  for (let i = 0; i < count; i++) {
    // a DAG: each server depends only on servers with a lower index
    const deps = new Set<string>();
    const n = i === 0 ? 0 : Math.floor(random() * (MAX_DEPS + 1));
    for (let k = 0; k < n; k++) deps.add(name(Math.floor(random() * i)));
    const windows = random() < 0.4;
    const os = windows ? 'windows,Windows Server,2022' : 'linux,Ubuntu,24.04';
    const disks = `sys:${40 + Math.floor(random() * 80)}${random() < 0.5 ? `;data:${Math.floor(1 + random() * 500)}` : ''}`;
    lines.push(
      `${name(i)},virtual,vmware,${os},agent,${1 + Math.floor(random() * 8)},${2 ** (1 + Math.floor(random() * 5))},${disks},drp,${[...deps].join(';')},240`,
    );
  }
  return lines.join('\n');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-estate-'));
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SQLITE_PATH: join(dir, 'reprise.db'),
    READ_MODEL_PATH: join(dir, 'read-models-api.db'),
    REPRISE_ADMIN_TOKEN: ADMIN,
  });
  const { createApiApp } = await import('../apps/api/src/api.app');
  const app: INestApplication = await createApiApp({ logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const base = `http://127.0.0.1:${address.port}/api/v1`;
  const call = async (
    method: string,
    path: string,
    token: string,
    body?: string,
    type = 'application/json',
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300)
      throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json).slice(0, 500)}`);
    return json;
  };
  try {
    const tenant = await call(
      'POST',
      '/tenants',
      ADMIN,
      JSON.stringify({ name: 'Bench', customerNumber: 'BENCH-1', domain: 'bench.example' }),
    );
    const key = await call(
      'POST',
      `/tenants/${tenant.id}/api-keys`,
      ADMIN,
      JSON.stringify({ name: 'bench', role: 'dr-manager' }),
    );
    const token = key.token as string;
    await call(
      'PUT',
      '/plan/authorised-persons',
      token,
      JSON.stringify([{ name: 'Bench', email: 'bench@bench.example' }]),
    );
    const csv = inventoryCsv(SERVERS);

    const started = performance.now();
    const imported = await call('POST', '/servers:import', token, csv, 'text/csv');
    const importMs = performance.now() - started;
    console.log(
      `estate import ${imported.imported} servers (CSV, ${(csv.length / 1024).toFixed(0)} KiB, one request): ${(importMs / 1000).toFixed(2)} s  (goal < 10 s)`,
    );

    const planTimes: number[] = [];
    let plan: Record<string, unknown> = {};
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      plan = await call('GET', '/plan', token);
      planTimes.push(performance.now() - t0);
    }
    console.log(
      `GET /plan (${(plan.servers as unknown[]).length} servers, ${(plan.bootWaves as unknown[]).length} waves, critical path ${(plan.criticalPath as unknown[]).length}, predicted RTO ${plan.predictedRtoMinutes} min): median ${median(planTimes).toFixed(1)} ms, first ${planTimes[0].toFixed(1)} ms  (goal < 200 ms)`,
    );

    const checkTimes: number[] = [];
    let check: Record<string, unknown> = {};
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      check = await call('POST', '/plan/check', token);
      checkTimes.push(performance.now() - t0);
    }
    console.log(
      `POST /plan/check (ready=${check.ready}, ${(check.findings as unknown[]).length} findings): median ${median(checkTimes).toFixed(1)} ms, first ${checkTimes[0].toFixed(1)} ms  (goal < 500 ms)`,
    );
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
