import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { call, type ScenarioContext } from './scenario';

/**
 * The demo's runbook: one step of each kind around the ERP. A script brings the ERP database online
 * inside the restored sql-01 and its SQL Server port is checked; the ERP owner then signs off (the
 * web tier waits for it); once the proxy is up a webhook re-points DNS; after the cleanup a webhook
 * closes the change. The webhooks go to a local receiver that verifies each signature with the
 * tenant's secret, as a customer's endpoint would.
 */
export const DEMO_RUNBOOK = (receiverUrl: string) => [
  {
    name: 'sql-erp-online',
    kind: 'script',
    after: ['sql-01'],
    server: 'sql-01',
    interpreter: 'powershell',
    script: "Invoke-Sqlcmd -Query 'ALTER DATABASE erp SET ONLINE'\nInvoke-Sqlcmd -Query 'DBCC CHECKDB(erp)'",
  },
  { name: 'sql-port', kind: 'check', after: ['sql-01'], server: 'sql-01', probe: { tcp: 1433 } },
  {
    name: 'erp-sign-off',
    kind: 'manual',
    after: ['sql-erp-online', 'sql-port'],
    instructions: 'Log in to the ERP on erp-app-01 and post a test order',
    assignee: 'claire.martin@acme-industries.example',
    timeoutMinutes: 480,
  },
  {
    name: 'dns-switch',
    kind: 'webhook',
    after: ['proxy-01'],
    url: `${receiverUrl}/dns`,
    body: { record: 'erp.acme-industries.example', target: 'recovery' },
  },
  {
    name: 'change-closed',
    kind: 'webhook',
    after: ['teardown'],
    url: `${receiverUrl}/change`,
    body: { change: 'CHG-2041' },
    scope: 'test',
  },
];
/** The web servers wait for the ERP owner's sign-off. */
const SIGNED_OFF_SERVERS = ['web-01', 'web-02'];

export interface RunbookReceiver {
  url: string;
  setSecret(secret: string): void;
  close(): Promise<void>;
}

function verified(secret: string, headers: IncomingHttpHeaders, raw: string): boolean {
  const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${raw}`;
  const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(signed)
    .digest();
  const given = Buffer.from(String(headers['webhook-signature'] ?? '').replace(/^v1,/, ''), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A local endpoint for the runbook's webhooks: prints each delivery once, with its signature checked. */
export async function startRunbookReceiver(print: (line: string) => void): Promise<RunbookReceiver> {
  let secret = '';
  const seen = new Set<string>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      if (!seen.has(id)) {
        seen.add(id);
        const body = JSON.parse(raw || '{}') as { step?: string; data?: unknown };
        print(
          `webhook ${body.step} received at ${req.url} ${JSON.stringify(body.data)} (signature ${verified(secret, req.headers, raw) ? 'valid' : 'INVALID'})`,
        );
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    setSecret: (s) => (secret = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Puts the runbook in the plan: the steps, the web tier's dependency on the sign-off, the signing secret. */
export async function setUpRunbook(ctx: ScenarioContext, token: string, receiver: RunbookReceiver) {
  const runbook = await call<{ version: number; steps: Array<{ name: string; kind: string }> }>(
    ctx,
    token,
    'PUT',
    '/plan/runbook',
    { steps: DEMO_RUNBOOK(receiver.url) },
  );
  const servers = await call<{ items: Array<{ id: string; hostname: string; dependsOn: string[] }> }>(
    ctx,
    token,
    'GET',
    '/servers',
  );
  for (const s of servers.items.filter((x) => SIGNED_OFF_SERVERS.includes(x.hostname)))
    await call(ctx, token, 'PUT', `/servers/${s.id}/dependencies`, {
      dependsOn: [...s.dependsOn, 'erp-sign-off'],
    });
  const { secret } = await call<{ secret: string }>(ctx, token, 'POST', '/plan/runbook/secret');
  receiver.setSecret(secret);
  return runbook.steps;
}
