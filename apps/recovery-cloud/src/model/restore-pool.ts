/**
 * Restore bandwidth as a fluid, processor-sharing model: n concurrent restores each progress at
 * (bandwidth / n) x weight (weight < 1 for a slowed restore). Advanced lazily: callers move it
 * to a time and ask for the next completion. Times are simulated milliseconds.
 */
interface ActiveRestore {
  remainingMiB: number;
  weight: number;
  seq: number;
}

export class RestorePool {
  private readonly active = new Map<string, ActiveRestore>();
  private at: number;
  private seq = 0;

  constructor(
    private bandwidthMiBps: number,
    startAt: number,
  ) {
    this.at = startAt;
  }

  get size(): number {
    return this.active.size;
  }

  get time(): number {
    return this.at;
  }

  setBandwidth(bandwidthMiBps: number, now: number): void {
    this.progressTo(now);
    this.bandwidthMiBps = bandwidthMiBps;
  }

  /** Adds a restore at `now` (the pool is first advanced to `now`). */
  add(id: string, sizeMiB: number, now: number, weight = 1): void {
    this.progressTo(now);
    this.active.set(id, { remainingMiB: sizeMiB, weight, seq: this.seq++ });
  }

  remove(id: string, now: number): void {
    this.progressTo(now);
    this.active.delete(id);
  }

  has(id: string): boolean {
    return this.active.has(id);
  }

  remainingMiB(id: string): number | undefined {
    return this.active.get(id)?.remainingMiB;
  }

  /** Current rate of one restore in MiB per simulated millisecond. */
  rateOf(id: string): number {
    const r = this.active.get(id);
    if (!r) return 0;
    return ((this.bandwidthMiBps / 1000) * r.weight) / this.active.size;
  }

  /** When the first active restore finishes if nothing changes, and which one(s). */
  nextCompletion(): { at: number; ids: string[] } | undefined {
    let best = Number.POSITIVE_INFINITY;
    let ids: string[] = [];
    const entries = [...this.active.entries()].sort((a, b) => a[1].seq - b[1].seq);
    for (const [id, r] of entries) {
      const rate = this.rateOf(id);
      const at = r.remainingMiB <= 0 ? this.at : this.at + r.remainingMiB / rate;
      if (at < best - 1e-6) {
        best = at;
        ids = [id];
      } else if (Math.abs(at - best) <= 1e-6) ids.push(id);
    }
    return ids.length ? { at: best, ids } : undefined;
  }

  /** Moves every active restore forward to time `t` at its current share. */
  progressTo(t: number): void {
    if (t <= this.at) return;
    const elapsed = t - this.at;
    for (const [id, r] of this.active)
      r.remainingMiB = Math.max(0, r.remainingMiB - this.rateOf(id) * elapsed);
    this.at = t;
  }
}
