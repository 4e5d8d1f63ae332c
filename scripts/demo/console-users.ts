import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { AUTHORISED_PERSONS, call, type ScenarioContext } from './scenario';

export interface DemoUser {
  email: string;
  name: string;
  password: string;
  totpSecret: string;
}

const usersFile = (dataDir: string) => join(dataDir, 'console-users.json');

/**
 * The demo's console users: the two authorised persons, invited as DR managers and enrolled (password
 * and TOTP) through the API like any user; their secrets are kept in `<data>/console-users.json`
 * (mode 600) so `npm run demo:totp` can show their current codes.
 */
export async function enrolConsoleUsers(ctx: ScenarioContext, tenantId: string): Promise<DemoUser[]> {
  const users: DemoUser[] = [];
  for (const person of AUTHORISED_PERSONS) {
    const invited = await call<{ invitationToken: string }>(
      ctx,
      ctx.adminToken,
      'POST',
      `/tenants/${tenantId}/users`,
      {
        email: person.email,
        name: person.name,
        role: 'dr-manager',
      },
    );
    const password = `demo-${randomBytes(6).toString('hex')}-console`;
    const accepted = await call<{ totpSecret: string }>(ctx, '', 'POST', '/auth/invitations/accept', {
      token: invited.invitationToken,
      password,
    });
    users.push({ email: person.email, name: person.name, password, totpSecret: accepted.totpSecret });
  }
  writeFileSync(usersFile(ctx.dataDir), JSON.stringify(users, null, 2), { mode: 0o600 });
  return users;
}

export function readDemoUsers(dataDir: string): DemoUser[] {
  return JSON.parse(readFileSync(usersFile(dataDir), 'utf8')) as DemoUser[];
}

/** The current TOTP code of a secret (RFC 6238: 30 s, 6 digits, SHA-1) and the seconds it stays valid. */
export function totpNow(secret: string, now = Date.now()): { code: string; secondsLeft: number } {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  return { code: totp.generate({ timestamp: now }), secondsLeft: 30 - Math.floor((now / 1000) % 30) };
}

/**
 * The tenant's notification webhook, on the demo's side: prints each one-time confirmation code it
 * receives (each authorised person gets their own), so a disaster can be confirmed from the console.
 */
export async function startCodePrinter(
  print: (line: string) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        const p = JSON.parse(body) as Record<string, unknown>;
        const to = p.recipient ?? 'the authorised persons';
        if (typeof p.code === 'string')
          print(
            `one-time code for ${String(to)}: ${p.code} (activation ${String(p.activationId).slice(0, 8)}, valid until ${String(p.expiresAt)})`,
          );
      } catch {
        // not a code notification: nothing to print
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/codes`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
