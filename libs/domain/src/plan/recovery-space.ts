import type { ServerState } from '../estate/server';
import type { ReadinessFinding } from './readiness';

/** What the recovery cloud reports of its capacity (hosts and datastores with their use). */
export interface RecoverySpace {
  rules: { ramCapPercent: number; datastoreReservePercent: number; vcpuOvercommit: number };
  hosts: Array<{
    id: string;
    vcpu: number;
    ramGiB: number;
    usedVcpu: number;
    usedRamGiB: number;
    ramLimitGiB: number;
  }>;
  datastores: Array<{ id: string; freeGiB: number }>;
}

export interface BackupAge {
  serverId: string;
  ageMinutes: number | null;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Can the recovery space start the whole DRP perimeter at once? RAM under the cluster cap, each
 * server's disks plus a swap file of its RAM on the datastores (after their reserve), vCPU within
 * the overcommit, the largest server on one host, and each anti-affinity group on distinct hosts.
 */
export function capacityFindings(perimeter: ServerState[], space: RecoverySpace): ReadinessFinding[] {
  const findings: ReadinessFinding[] = [];
  if (perimeter.length === 0) return findings;
  const ramFree = sum(space.hosts.map((h) => Math.max(0, h.ramLimitGiB - h.usedRamGiB)));
  const ramNeeded = sum(perimeter.map((s) => s.template.ramGiB));
  if (ramNeeded > ramFree)
    findings.push({
      severity: 'error',
      code: 'capacity-ram',
      message: `the DRP perimeter needs ${round(ramNeeded)} GiB of RAM; the recovery space has ${round(ramFree)} GiB under its ${space.rules.ramCapPercent} % cap (short by ${round(ramNeeded - ramFree)} GiB)`,
    });
  const diskNeeded = sum(perimeter.map((s) => sum(s.disks.map((d) => d.sizeGiB)) + s.template.ramGiB));
  const diskFree = sum(space.datastores.map((d) => d.freeGiB));
  if (diskNeeded > diskFree)
    findings.push({
      severity: 'error',
      code: 'capacity-datastore',
      message: `the DRP perimeter needs ${round(diskNeeded)} GiB of datastore (disks plus a swap file the size of each server's RAM); ${round(diskFree)} GiB are free after the ${space.rules.datastoreReservePercent} % reserve (short by ${round(diskNeeded - diskFree)} GiB)`,
    });
  const vcpuFree = sum(space.hosts.map((h) => Math.max(0, h.vcpu * space.rules.vcpuOvercommit - h.usedVcpu)));
  const vcpuNeeded = sum(perimeter.map((s) => s.template.vcpu));
  if (vcpuNeeded > vcpuFree)
    findings.push({
      severity: 'error',
      code: 'capacity-vcpu',
      message: `the DRP perimeter needs ${vcpuNeeded} vCPU; the recovery space offers ${vcpuFree} at ${space.rules.vcpuOvercommit}:1 overcommit`,
    });
  const biggestHost = Math.max(0, ...space.hosts.map((h) => h.ramLimitGiB));
  const tooBig = perimeter.filter((s) => s.template.ramGiB > biggestHost);
  if (tooBig.length)
    findings.push({
      severity: 'error',
      code: 'capacity-host',
      message: `${tooBig.length} server(s) need more RAM than any recovery host allows (${biggestHost} GiB)`,
      servers: tooBig.map((s) => s.hostname),
    });
  const groups = new Map<string, string[]>();
  for (const s of perimeter)
    if (s.antiAffinityGroup)
      groups.set(s.antiAffinityGroup, [...(groups.get(s.antiAffinityGroup) ?? []), s.hostname]);
  for (const [group, members] of groups)
    if (members.length > space.hosts.length)
      findings.push({
        severity: 'error',
        code: 'capacity-anti-affinity',
        message: `anti-affinity group ${group} has ${members.length} servers but the recovery space has ${space.hosts.length} hosts`,
        servers: members,
      });
  return findings;
}

/**
 * Restore points older than the server's RPO target, and servers the backup space does not know.
 * Only servers recovered from backups: a replicated server's RPO is its replication lag.
 */
export function freshnessFindings(all: ServerState[], ages: BackupAge[]): ReadinessFinding[] {
  const servers = all.filter((s) => (s.recoveryMethod ?? 'backup-restore') === 'backup-restore');
  const byId = new Map(ages.map((a) => [a.serverId, a]));
  const stale = servers.filter((s) => {
    const age = byId.get(s.id)?.ageMinutes;
    return s.rpoMinutes !== null && age !== null && age !== undefined && age > s.rpoMinutes;
  });
  const missing = servers.filter(
    (s) => s.protectionClass !== 'backup-only' && (byId.get(s.id)?.ageMinutes ?? null) === null,
  );
  const findings: ReadinessFinding[] = [];
  if (stale.length)
    findings.push({
      severity: 'warning',
      code: 'stale-restore-point',
      message: `${stale.length} server(s) have no restore point within their RPO target: ${stale
        .map((s) => `${s.hostname} (${round(byId.get(s.id)?.ageMinutes ?? 0)} > ${s.rpoMinutes} min)`)
        .join(', ')}`,
      servers: stale.map((s) => s.hostname),
    });
  if (missing.length)
    findings.push({
      severity: 'warning',
      code: 'no-restore-point',
      message: `${missing.length} server(s) have no restore point in the backup space yet`,
      servers: missing.map((s) => s.hostname),
    });
  return findings;
}
