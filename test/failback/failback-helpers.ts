import { BRUNO, CLAIRE, sim, waitUntil, type Person } from '../activations/activation-helpers';
import { bearer, waitForStatus, type ServerInput, type Stack } from '../support/stack';

/**
 * 10 servers, dependencies three levels deep: dc ← db ← app ← web, plus independent file servers
 * (the estate of the crash tests).
 */
export const ESTATE: ServerInput[] = [
  { hostname: 'dc-1' },
  { hostname: 'dc-2' },
  { hostname: 'db-1', dependsOn: ['dc-1'], diskGiB: 200 },
  { hostname: 'db-2', dependsOn: ['dc-2'], diskGiB: 150, family: 'linux' },
  { hostname: 'app-1', dependsOn: ['db-1'] },
  { hostname: 'app-2', dependsOn: ['db-1', 'db-2'], family: 'linux' },
  { hostname: 'web-1', dependsOn: ['app-1'], family: 'linux' },
  { hostname: 'web-2', dependsOn: ['app-2'], family: 'linux' },
  { hostname: 'file-1', diskGiB: 250 },
  { hostname: 'file-2', diskGiB: 120, family: 'linux' },
];

/** Every (downstream, upstream) edge of the estate. */
export const EDGES: Array<[string, string]> = ESTATE.flatMap((s) =>
  (s.dependsOn ?? []).map((up): [string, string] => [s.hostname, up]),
);

export interface FailbackServerStats {
  tenantId: string;
  activationId: string;
  hostname: string;
  changedBytes: number;
  arrivedBytes: number;
  pendingBytes: number;
  initialCopyBytes: number;
  deltaBytes: number;
  finalDeltaBytes: number;
  finalDeltaRequests: number;
  resentBytes: number;
  originalState: string;
  originalStarts: number;
  duplicateOriginalStarts: number;
}

/** What the simulator counted of the way back, per server of one activation. */
export async function failbackStats(stack: Stack, activationId: string): Promise<FailbackServerStats[]> {
  const stats = await sim<{ failback: { servers: FailbackServerStats[] } }>(stack, '/sim/v1/stats');
  return stats.failback.servers.filter((x) => x.activationId === activationId);
}

export const setOriginalSite = (stack: Stack, tenantId: string, state: 'down' | 'recovering' | 'up') =>
  sim(stack, '/sim/v1/original-site', 'PUT', { state, tenantId });

/** The code delivered to `email` for an activation after `already` earlier ones (a new confirmation). */
export async function nextCode(stack: Stack, activationId: string, email: string, already: number) {
  const hits = () =>
    stack.webhook.received.filter(
      (b) =>
        b.activationId === activationId &&
        typeof b.code === 'string' &&
        String(b.recipient).toLowerCase() === email.toLowerCase(),
    );
  await waitUntil(async () => hits().length > already, `code #${already + 1} for ${email}`, 10_000, 20);
  return hits()[already].code as string;
}

/** A disaster of the tenant's whole DRP scope, asked by Claire, confirmed by Bruno, completed. */
export async function disasterCompleted(stack: Stack, token: string, timeoutMs = 60_000) {
  const post = (path: string, body: object) =>
    stack.api.http.post(`/api/v1${path}`).set(bearer(token)).send(body);
  const { body } = await post('/activations', {
    type: 'disaster',
    scope: 'full',
    requestedBy: CLAIRE,
  }).expect(202);
  const code = await nextCode(stack, body.id, BRUNO.email, 0);
  await post(`/activations/${body.id}/confirm`, { email: BRUNO.email, code }).expect(200);
  await waitForStatus(stack.api, token, body.id, ['completed'], timeoutMs);
  return body.id as string;
}

/** Asks for the failback (Claire) and confirms it (Bruno): failing-back. */
export async function confirmFailback(stack: Stack, token: string, id: string, by: Person = CLAIRE) {
  const post = (path: string, body: object) =>
    stack.api.http.post(`/api/v1${path}`).set(bearer(token)).send(body);
  const asked = await post(`/activations/${id}/failback`, {
    requestedBy: by,
    reason: 'site restored',
  }).expect(202);
  expect(asked.body.status).toBe('failback-awaiting-confirmation');
  const code = await nextCode(stack, id, BRUNO.email, 1);
  const confirmed = await post(`/activations/${id}/confirm`, { email: BRUNO.email, code }).expect(200);
  expect(confirmed.body.status).toBe('failing-back');
}

export async function eventsOf(stack: Stack, token: string, id: string) {
  return (await stack.api.http.get(`/api/v1/activations/${id}/events`).set(bearer(token)).expect(200))
    .body as Array<{ type: string; at: string; data: Record<string, unknown> }>;
}

/** Position of each server's first event of `type` (by hostname), from the activation's events. */
export function orderOf(
  events: Array<{ type: string; data: Record<string, unknown> }>,
  type: string,
  hostnameOf: (serverId: string) => string,
): Record<string, number> {
  const order: Record<string, number> = {};
  events.forEach((e, i) => {
    if (e.type !== type) return;
    const host = hostnameOf(String(e.data.serverId));
    if (order[host] === undefined) order[host] = i;
  });
  return order;
}
