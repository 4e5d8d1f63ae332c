/**
 * Serialises the activation requests of one tenant inside this process, so the overlap rule is
 * checked against activations that cannot change underneath. It holds in ONE api process only:
 * issue 12 moves it into the store as activation-scope claims (a decisive append on a tenant
 * stream, like the estate registry; see docs/architecture.md "Decisions and completions").
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
