import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { bearer, type Stack } from '../support/stack';
import { waitUntil } from '../activations/activation-helpers';

/** Helpers of the runbook end-to-end suites (not a spec file). */

export interface Delivery {
  id: string;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  valid: boolean;
}

/**
 * A webhook receiver as a customer would write one from the Standard Webhooks specification: it
 * checks the signature with the secret it was given (its own HMAC, not Reprise's code), keeps every
 * delivery, and counts each `webhook-id` once (the side effect happens once per id).
 */
export interface Receiver {
  url: string;
  secret: string | null;
  deliveries: Delivery[];
  /** Side effects done: one per distinct webhook-id with a valid signature. */
  effects(): Map<string, Delivery>;
  close(): Promise<void>;
}

export function verify(secret: string, headers: IncomingHttpHeaders, raw: string): boolean {
  const id = String(headers['webhook-id'] ?? '');
  const ts = String(headers['webhook-timestamp'] ?? '');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${raw}`).digest();
  const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
  return (
    fresh &&
    String(headers['webhook-signature'] ?? '')
      .split(' ')
      .some((sig) => {
        const [version, value] = sig.split(',');
        const given = Buffer.from(value ?? '', 'base64');
        return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
      })
  );
}

export async function startReceiver(options: { delayMs?: number } = {}): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const receiver: Receiver = {
    url: '',
    secret: null,
    deliveries,
    effects() {
      const once = new Map<string, Delivery>();
      for (const d of deliveries) if (d.valid && !once.has(d.id)) once.set(d.id, d);
      return once;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      // The side effect happens on receipt; the answer may come later (a slow receiver).
      deliveries.push({
        id: String(req.headers['webhook-id'] ?? ''),
        body: raw ? JSON.parse(raw) : {},
        headers: req.headers,
        valid: receiver.secret !== null && verify(receiver.secret, req.headers, raw),
      });
      const respond = () => res.writeHead(204).end();
      if (options.delayMs) setTimeout(respond, options.delayMs);
      else respond();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return receiver;
}

export interface StepView {
  name: string;
  kind: string;
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  detail: string | null;
}

export async function activationView(stack: Stack, token: string, id: string) {
  return (await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(token)).expect(200)).body as {
    status: string;
    servers: Array<{ hostname: string; phase: string; blockedBy: string | null }>;
    steps: StepView[];
  };
}

export const stepStatuses = (view: { steps: StepView[] }) =>
  Object.fromEntries(view.steps.map((s) => [s.name, s.status]));

export function waitForStep(
  stack: Stack,
  token: string,
  id: string,
  name: string,
  statuses: string[],
  timeoutMs = 30_000,
) {
  return waitUntil(
    async () => {
      const view = await activationView(stack, token, id);
      const step = view.steps.find((s) => s.name === name);
      return step && statuses.includes(step.status) ? view : null;
    },
    `step ${name} ${statuses.join('|')}`,
    timeoutMs,
    25,
  );
}
