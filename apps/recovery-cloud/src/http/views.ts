import type { Operation, Resource } from '../model/types';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function operationView(op: Operation) {
  return {
    operationId: op.id,
    kind: op.kind,
    status: op.status,
    tenantId: op.tenantId,
    activationId: op.activationId ?? null,
    hostname: op.hostname ?? null,
    resourceId: op.resourceId ?? null,
    idempotencyKey: op.idempotencyKey,
    createdAt: iso(op.createdAt),
    startedAt: iso(op.startedAt),
    completedAt: iso(op.completedAt),
    result: op.result ?? null,
    error: op.error ?? null,
  };
}

export function resourceView(r: Resource) {
  const { createdAt, ...rest } = r;
  const view: Record<string, unknown> = { ...rest, createdAt: iso(createdAt) };
  if (r.kind === 'disk') view.restorePointTakenAt = iso(r.restorePointTakenAt);
  return view;
}

/** Canonical JSON (sorted keys) so equal bodies give equal fingerprints. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
