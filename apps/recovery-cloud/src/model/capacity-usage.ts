import type { DatastoreUsage, HostUsage } from './capacity';
import type { SimConfig } from './config';
import type { Resource } from './types';

type LiveHost = HostUsage & { groups: Set<string>; groupCounts: Map<string, number> };

/**
 * What the recovery space holds, kept up to date as resources come and go (the model's resource
 * index reports every one), so a placement reads the use of each host and datastore instead of
 * summing every resource again. Rebuilt from the resources when the configuration changes.
 */
export class CapacityUsage {
  private hosts: LiveHost[] = [];
  private hostById = new Map<string, LiveHost>();
  private datastores: DatastoreUsage[] = [];
  private datastoreById = new Map<string, DatastoreUsage>();

  /** Hosts and datastores of `config`, with the use of `resources`. */
  reset(config: Pick<SimConfig, 'clusters' | 'datastores'>, resources: Iterable<Resource>): void {
    this.hosts = config.clusters.flatMap((c) =>
      Array.from({ length: c.hostCount }, (_, i) => ({
        id: `${c.id}-h${String(i + 1).padStart(2, '0')}`,
        clusterId: c.id,
        vcpu: c.hostVcpu,
        ramGiB: c.hostRamGiB,
        usedVcpu: 0,
        usedRamGiB: 0,
        groups: new Set<string>(),
        groupCounts: new Map<string, number>(),
      })),
    );
    this.hostById = new Map(this.hosts.map((h) => [h.id, h]));
    this.datastores = config.datastores.map((d) => ({ id: d.id, capacityGiB: d.capacityGiB, usedGiB: 0 }));
    this.datastoreById = new Map(this.datastores.map((d) => [d.id, d]));
    for (const r of resources) this.add(r);
  }

  /** Every host in configuration order, with its use now (read-only views). */
  hostUsage(): readonly HostUsage[] {
    return this.hosts;
  }

  /** Every datastore in configuration order, with its use now (read-only views). */
  datastoreUsage(): readonly DatastoreUsage[] {
    return this.datastores;
  }

  add(r: Resource): void {
    this.apply(r, 1);
  }

  remove(r: Resource): void {
    this.apply(r, -1);
  }

  private apply(r: Resource, sign: 1 | -1): void {
    if (r.kind === 'disk') {
      const d = this.datastoreById.get(r.datastoreId);
      if (d) d.usedGiB += sign * r.sizeGiB;
    } else if (r.kind === 'server') {
      const d = this.datastoreById.get(r.swapDatastoreId);
      if (d) d.usedGiB += sign * r.ramGiB;
      const h = this.hostById.get(r.hostId);
      if (!h) return;
      h.usedVcpu += sign * r.vcpu;
      h.usedRamGiB += sign * r.ramGiB;
      if (r.antiAffinityKey) {
        const n = (h.groupCounts.get(r.antiAffinityKey) ?? 0) + sign;
        if (n > 0) {
          h.groupCounts.set(r.antiAffinityKey, n);
          h.groups.add(r.antiAffinityKey);
        } else {
          h.groupCounts.delete(r.antiAffinityKey);
          h.groups.delete(r.antiAffinityKey);
        }
      }
    }
  }
}
