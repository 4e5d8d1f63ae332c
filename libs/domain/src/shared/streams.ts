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
  activation: (tenantId: string, activationId: string) => `tenant/${tenantId}/activation/${activationId}`,
  schedule: (tenantId: string, scheduleId: string) => `tenant/${tenantId}/test-schedule/${scheduleId}`,
  notification: (tenantId: string, notificationId: string) =>
    `tenant/${tenantId}/notification/${notificationId}`,
};

/** `tenant/<id>/<category>/<entity>` → its parts; null for platform streams. */
export function parseTenantStream(
  stream: string,
): { tenantId: string; category: string; id: string | null } | null {
  const parts = stream.split('/');
  if (parts[0] !== 'tenant' || parts.length < 3) return null;
  return { tenantId: parts[1], category: parts[2], id: parts[3] ?? null };
}
