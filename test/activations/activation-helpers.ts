import { bearer, type Stack } from '../support/stack';

/** Helpers shared by the activation end-to-end suites (not a spec file). */

export interface Person {
  name: string;
  email: string;
}

export const CLAIRE: Person = { name: 'Claire Martin', email: 'claire@acme.example' };
export const BRUNO: Person = { name: 'Bruno Petit', email: 'bruno@acme.example' };
export const DANIEL: Person = { name: 'Daniel Roy', email: 'daniel@acme.example' };

/** Calls the simulator (control plane or provider API) and returns its JSON answer. */
export async function sim<T = Record<string, unknown>>(
  stack: Stack,
  path: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' = 'GET',
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${stack.cloud.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export interface SimStats {
  restoreRequests: number;
  duplicateRestoreRequests: number;
  duplicateRestoresSameDisk: number;
  duplicateServerCreations: number;
  duplicatePowerOnRequests: number;
  duplicateRequests: number;
  operationsByKind: Record<string, number>;
}

export const simStats = (stack: Stack) => sim<SimStats>(stack, '/sim/v1/stats');

export interface CloudResource {
  id: string;
  kind: string;
  serverId?: string;
  diskName?: string;
  state: string;
}

export async function cloudResources(stack: Stack, tenantId: string, activationId: string) {
  const body = await sim<{ items: CloudResource[] }>(
    stack,
    `/cloud/v1/tenants/${tenantId}/resources?activationId=${activationId}`,
  );
  return body.items;
}

export async function setAuthorisedPersons(stack: Stack, token: string, persons: Person[]) {
  await stack.api.http.put('/api/v1/plan/authorised-persons').set(bearer(token)).send(persons).expect(200);
}

/**
 * The confirmation code the webhook delivered to `email` for an activation (the latest one): each
 * authorised person receives their own.
 */
export async function codeFor(
  stack: Stack,
  activationId: string,
  email: string,
  timeoutMs = 10_000,
): Promise<string> {
  const start = Date.now();
  for (;;) {
    const hits = stack.webhook.received.filter(
      (b) =>
        b.activationId === activationId &&
        typeof b.code === 'string' &&
        String(b.recipient).toLowerCase() === email.toLowerCase(),
    );
    if (hits.length) return hits[hits.length - 1].code as string;
    if (Date.now() - start > timeoutMs)
      throw new Error(`no confirmation code delivered to ${email} for ${activationId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until `count` code deliveries of an activation are recorded (each after its webhook answers). */
export function codesDelivered(stack: Stack, activationId: string, count: number) {
  return waitUntil(
    async () =>
      (await stack.api.store.readAll()).filter(
        (e) =>
          e.type === 'NotificationDelivered' &&
          (e.data as { activationId?: string }).activationId === activationId,
      ).length >= count,
    `${count} code deliveries for ${activationId}`,
  );
}

/** A wrong code that is certainly not the real one. */
export const wrongCodeFor = (code: string) => (code === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA');

export function phases(view: { servers: Array<{ hostname: string; phase: string }> }) {
  return Object.fromEntries(view.servers.map((s) => [s.hostname, s.phase]));
}

export async function waitUntil<T>(
  probe: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
