/**
 * Stream names. Every tenant-owned stream starts with `tenant/<tenantId>/`, so a tenant's whole
 * history is one prefix (audit, export) and no stream is shared between tenants.
 */
export const streams = {
  tenantPrefix: (tenantId: string) => `tenant/${tenantId}/`,
  tenant: (tenantId: string) => `platform/tenant/${tenantId}`,
  apiKey: (keyId: string) => `platform/api-key/${keyId}`,
  /** One stream per sign-in e-mail; `emailKey` is the sha256 (hex) of the normalised address. */
  user: (emailKey: string) => `platform/user/${emailKey}`,
  server: (tenantId: string, serverId: string) => `tenant/${tenantId}/server/${serverId}`,
  /** The tenant's estate registry: every estate-wide decision (hostnames, dependency graph). */
  estate: (tenantId: string) => `tenant/${tenantId}/estate`,
  plan: (tenantId: string) => `tenant/${tenantId}/plan`,
  /** The key of the tenant's runbook webhook signatures (sealed). */
  webhookSecret: (tenantId: string) => `tenant/${tenantId}/webhook-secret`,
  activation: (tenantId: string, activationId: string) => `tenant/${tenantId}/activation/${activationId}`,
  /** The tenant's activation-scope claims: which live activation holds which server (overlap rule). */
  activationClaims: (tenantId: string) => `tenant/${tenantId}/activation-claims`,
  schedule: (tenantId: string, scheduleId: string) => `tenant/${tenantId}/test-schedule/${scheduleId}`,
  notification: (tenantId: string, notificationId: string) =>
    `tenant/${tenantId}/notification/${notificationId}`,
  /** The tenant's audit log bookkeeping: signed tree heads, migration record. */
  audit: (tenantId: string) => `tenant/${tenantId}/audit`,
  /** One person's (subject's) privacy events: erasure. */
  privacy: (tenantId: string, subjectId: string) => `tenant/${tenantId}/privacy/${subjectId}`,
};

/**
 * The streams of a tenant's audit log (one Merkle tree): all its `tenant/<id>/…` streams and its
 * platform stream. Tenant ids are uuids, so neither prefix can match another tenant.
 */
export const tenantLogPrefixes = (tenantId: string): string[] => [
  streams.tenantPrefix(tenantId),
  streams.tenant(tenantId),
];

/** The tenant whose audit log a stream is part of, or null (API keys, other platform streams). */
export function tenantOfStream(stream: string): string | null {
  const parts = stream.split('/');
  if (parts[0] === 'tenant' && parts.length >= 3 && parts[1]) return parts[1];
  if (parts[0] === 'platform' && parts[1] === 'tenant' && parts.length === 3 && parts[2]) return parts[2];
  return null;
}

/** `tenant/<id>/<category>/<entity>` → its parts; null for platform streams. */
export function parseTenantStream(
  stream: string,
): { tenantId: string; category: string; id: string | null } | null {
  const parts = stream.split('/');
  if (parts[0] !== 'tenant' || parts.length < 3) return null;
  return { tenantId: parts[1], category: parts[2], id: parts[3] ?? null };
}
