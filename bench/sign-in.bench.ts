import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import argon2 from 'argon2';
import Redis from 'ioredis';
import { Secret, TOTP } from 'otpauth';

/**
 * `npm run bench -- sign-in`: the cost of named users' sign-in through the real HTTP API (SQLite,
 * Redis), beside its floor measured in the same run: one argon2id verification with the same
 * parameters. Also what a session costs per request beside an API key (a Redis read and expiry).
 */
const ADMIN = 'bench-admin-token-0123456789';
const USERS = 24;
const CONCURRENT = 8;
const READS = 200;
const PASSWORD = 'amber river lantern 42';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-sign-in-'));
  const prefix = `reprise-bench-${randomUUID().slice(0, 8)}`;
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SQLITE_PATH: join(dir, 'reprise.db'),
    READ_MODEL_PATH: join(dir, 'read-models-api.db'),
    REPRISE_ADMIN_TOKEN: ADMIN,
    QUEUE_PREFIX: prefix,
  });
  const { createApiApp } = await import('../apps/api/src/api.app');
  const { ARGON2_OPTIONS } = await import('../apps/api/src/auth/passwords');
  const app: INestApplication = await createApiApp({ logger: false });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/api/v1`;
  const call = async (path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${path} → ${res.status}: ${JSON.stringify(json)}`);
    return { json, cookie: res.headers.get('set-cookie')?.split(';')[0] ?? '' };
  };
  const admin = { authorization: `Bearer ${ADMIN}` };
  try {
    // Floor: argon2id verifications alone, one after the other and CONCURRENT at a time.
    const hash = await argon2.hash(PASSWORD, ARGON2_OPTIONS);
    const raw: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = process.hrtime.bigint();
      await argon2.verify(hash, PASSWORD);
      raw.push(ms(t));
    }
    let t = process.hrtime.bigint();
    await Promise.all(Array.from({ length: USERS }, () => argon2.verify(hash, PASSWORD)));
    const rawRate = USERS / (ms(t) / 1000);

    const { json: tenant } = await call(
      '/tenants',
      { name: 'Bench', customerNumber: 'B-1', domain: 'bench.example', activationWindow: '24x7' },
      admin,
    );
    const { json: key } = await call(`/tenants/${tenant.id}/api-keys`, { name: 'k', role: 'auditor' }, admin);
    const users: Array<{ email: string; secret: string }> = [];
    for (let i = 0; i < USERS; i++) {
      const email = `user-${i}@bench.example`;
      const { json: invited } = await call(
        `/tenants/${tenant.id}/users`,
        { email, name: `User ${i}`, role: 'auditor' },
        admin,
      );
      const { json: enrolment } = await call('/auth/invitations/accept', {
        token: invited.invitationToken,
        password: PASSWORD,
      });
      users.push({ email, secret: enrolment.totpSecret as string });
    }

    // Whole sign-in (password step + TOTP step), one user after the other.
    const signIn = async (user: { email: string; secret: string }) => {
      const { json } = await call('/auth/login', { email: user.email, password: PASSWORD });
      const code = new TOTP({ secret: Secret.fromBase32(user.secret) }).generate();
      return call('/auth/login/totp', { challenge: json.challenge, code });
    };
    const whole: number[] = [];
    let session = '';
    for (const user of users.slice(0, USERS / 2)) {
      const start = process.hrtime.bigint();
      session = (await signIn(user)).cookie;
      whole.push(ms(start));
    }
    // The other half, CONCURRENT at a time.
    t = process.hrtime.bigint();
    const rest = users.slice(USERS / 2);
    for (let i = 0; i < rest.length; i += CONCURRENT)
      await Promise.all(rest.slice(i, i + CONCURRENT).map(signIn));
    const rate = rest.length / (ms(t) / 1000);

    // A read with the session cookie beside the same read with an API key.
    const read = async (headers: Record<string, string>) => {
      const times: number[] = [];
      for (let i = 0; i < READS; i++) {
        const start = process.hrtime.bigint();
        await call('/servers', undefined, headers);
        times.push(ms(start));
      }
      return median(times);
    };
    await read({ cookie: session }); // warm-up of both paths
    const bySession = await read({ cookie: session });
    const byKey = await read({ authorization: `Bearer ${key.token}` });

    console.log(
      `argon2id verify (m=${ARGON2_OPTIONS.memoryCost} KiB, t=${ARGON2_OPTIONS.timeCost}, p=${ARGON2_OPTIONS.parallelism}) alone: ${median(raw).toFixed(1)} ms median; ${rawRate.toFixed(1)}/s with ${USERS} at once`,
    );
    console.log(
      `sign-in through the API (password + TOTP, ${USERS / 2} users): ${median(whole).toFixed(1)} ms median; ${rate.toFixed(1)} sign-ins/s ${CONCURRENT} at a time   (floor: the argon2id figures above)`,
    );
    console.log(
      `GET /servers: ${bySession.toFixed(2)} ms median with a session cookie, ${byKey.toFixed(2)} ms with an API key (${READS} reads each)`,
    );
  } finally {
    await app.close();
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
