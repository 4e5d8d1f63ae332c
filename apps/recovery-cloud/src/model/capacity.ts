import type { CloudErrorBody } from './errors';

/**
 * Pure capacity rules of the recovery space: host RAM under a cap (85 % by default), vCPU
 * over-commit, anti-affinity, and datastores that must hold disks plus a swap file the size
 * of the VM's RAM while keeping a reserve free (10 % by default).
 */
export interface HostUsage {
  id: string;
  clusterId: string;
  vcpu: number;
  ramGiB: number;
  usedVcpu: number;
  usedRamGiB: number;
  /** Anti-affinity keys (tenant/group) of the VMs on this host. */
  groups: ReadonlySet<string>;
}

export interface DatastoreUsage {
  id: string;
  capacityGiB: number;
  usedGiB: number;
}

export interface CapacityRules {
  ramCapPercent: number;
  datastoreReservePercent: number;
  vcpuOvercommit: number;
}

export type Placement<T> = { ok: true; value: T } | { ok: false; error: CloudErrorBody };

const round1 = (n: number) => Math.round(n * 10) / 10;

export function ramLimit(host: Pick<HostUsage, 'ramGiB'>, rules: CapacityRules): number {
  return (host.ramGiB * rules.ramCapPercent) / 100;
}

/**
 * Picks a host for a VM: RAM stays under the cap, vCPU under the over-commit ratio, and no VM
 * of the same anti-affinity group already runs there. Among hosts that fit, the one with the
 * lowest RAM use after placement wins (ties: configuration order), so the choice is deterministic.
 */
export function placeOnHost(
  hosts: readonly HostUsage[],
  request: { vcpu: number; ramGiB: number; antiAffinityKey?: string; label: string },
  rules: CapacityRules,
): Placement<HostUsage> {
  if (hosts.length === 0)
    return { ok: false, error: { code: 'insufficient-ram', message: 'the recovery space has no host' } };
  let best: HostUsage | undefined;
  let bestRatio = Number.POSITIVE_INFINITY;
  const ramOk: HostUsage[] = [];
  const ramVcpuOk: HostUsage[] = [];
  for (const host of hosts) {
    const fitsRam = host.usedRamGiB + request.ramGiB <= ramLimit(host, rules) + 1e-9;
    if (!fitsRam) continue;
    ramOk.push(host);
    const fitsVcpu = host.usedVcpu + request.vcpu <= host.vcpu * rules.vcpuOvercommit + 1e-9;
    if (!fitsVcpu) continue;
    ramVcpuOk.push(host);
    if (request.antiAffinityKey && host.groups.has(request.antiAffinityKey)) continue;
    const ratio = (host.usedRamGiB + request.ramGiB) / host.ramGiB;
    if (ratio < bestRatio - 1e-12) {
      best = host;
      bestRatio = ratio;
    }
  }
  if (best) return { ok: true, value: best };
  if (ramOk.length === 0) {
    const roomiest = [...hosts].sort(
      (a, b) => ramLimit(b, rules) - b.usedRamGiB - (ramLimit(a, rules) - a.usedRamGiB),
    )[0];
    const free = Math.max(0, ramLimit(roomiest, rules) - roomiest.usedRamGiB);
    return {
      ok: false,
      error: {
        code: 'insufficient-ram',
        resource: roomiest.id,
        shortfall: { ramGiB: round1(request.ramGiB - free) },
        message: `${request.label} needs ${request.ramGiB} GiB RAM; the roomiest host ${roomiest.id} (cluster ${roomiest.clusterId}) has ${round1(free)} GiB free under the ${rules.ramCapPercent}% RAM cap (short by ${round1(request.ramGiB - free)} GiB)`,
      },
    };
  }
  if (ramVcpuOk.length === 0) {
    const roomiest = [...ramOk].sort(
      (a, b) => b.vcpu * rules.vcpuOvercommit - b.usedVcpu - (a.vcpu * rules.vcpuOvercommit - a.usedVcpu),
    )[0];
    const free = Math.max(0, roomiest.vcpu * rules.vcpuOvercommit - roomiest.usedVcpu);
    return {
      ok: false,
      error: {
        code: 'insufficient-vcpu',
        resource: roomiest.id,
        shortfall: { vcpu: round1(request.vcpu - free) },
        message: `${request.label} needs ${request.vcpu} vCPU; the roomiest host ${roomiest.id} with RAM to spare has ${round1(free)} vCPU free (over-commit ${rules.vcpuOvercommit}x, short by ${round1(request.vcpu - free)})`,
      },
    };
  }
  const group = request.antiAffinityKey?.split('/').slice(1).join('/') ?? '';
  return {
    ok: false,
    error: {
      code: 'anti-affinity',
      resource: `anti-affinity group ${group}`,
      shortfall: { hosts: 1 },
      message: `${request.label} is in anti-affinity group "${group}": every host with room (${ramVcpuOk.map((h) => h.id).join(', ')}) already runs a member of that group`,
    },
  };
}

/** Space usable on a datastore before touching the reserve. */
export function datastoreFree(ds: DatastoreUsage, rules: CapacityRules): number {
  return (ds.capacityGiB * (100 - rules.datastoreReservePercent)) / 100 - ds.usedGiB;
}

/** Checks that a restored disk fits on a datastore (keeping the reserve free). */
export function checkDiskFits(
  ds: DatastoreUsage,
  sizeGiB: number,
  rules: CapacityRules,
  label: string,
): CloudErrorBody | undefined {
  const free = datastoreFree(ds, rules);
  if (sizeGiB <= free + 1e-9) return undefined;
  return {
    code: 'insufficient-datastore',
    resource: ds.id,
    shortfall: { GiB: round1(sizeGiB - Math.max(0, free)) },
    message: `datastore ${ds.id} needs ${round1(sizeGiB)} GiB for ${label}, ${round1(Math.max(0, free))} GiB free after the ${rules.datastoreReservePercent}% reserve`,
  };
}

/**
 * Checks that a started VM fits on its datastore: its disks there plus a swap file the size of its
 * RAM, against the space free when its own disks are not counted, keeping the reserve free.
 */
export function checkVmFits(
  ds: DatastoreUsage,
  request: { ownDisksGiB: number; ramGiB: number; label: string },
  rules: CapacityRules,
): CloudErrorBody | undefined {
  const freeWithoutOwn = datastoreFree(ds, rules) + request.ownDisksGiB;
  const need = request.ownDisksGiB + request.ramGiB;
  if (need <= freeWithoutOwn + 1e-9) return undefined;
  return {
    code: 'insufficient-datastore',
    resource: ds.id,
    shortfall: { GiB: round1(need - Math.max(0, freeWithoutOwn)) },
    message: `datastore ${ds.id} needs ${round1(need)} GiB (disks ${round1(request.ownDisksGiB)} + swap ${round1(request.ramGiB)}) to start ${request.label}, ${round1(Math.max(0, freeWithoutOwn))} GiB free after the ${rules.datastoreReservePercent}% reserve`,
  };
}
