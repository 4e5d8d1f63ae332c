/**
 * Serialises estate-wide writes of one tenant inside this process (enrol, dependency changes,
 * archive, decommission, import), so cross-server rules (cycles, dependents, drp class) are checked
 * against an estate that cannot change underneath. Hostname uniqueness is also enforced
 * across processes by reservation streams; the readiness check reports any cycle or missing
 * dependency that concurrent writers in several API replicas could still create.
 */
export class TenantLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(tenantId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.tails.set(tenantId, next);
    try {
      return await next;
    } finally {
      if (this.tails.get(tenantId) === next) this.tails.delete(tenantId);
    }
  }
}
