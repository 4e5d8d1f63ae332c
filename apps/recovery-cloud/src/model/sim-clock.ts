/**
 * The one simulated clock of Reprise. Simulated now = anchorSimMs + (wallNow - anchorWallMs) * scale.
 * Advancing or setting the clock re-anchors it; other processes read the anchors over HTTP
 * (`GET /sim/v1/clock`) and compute the same `now` locally.
 */
export interface ClockSnapshot {
  now: string;
  scale: number;
  anchorWallMs: number;
  anchorSimMs: number;
}

export class SimClock {
  private anchorWallMs: number;
  private anchorSimMs: number;

  constructor(
    private scale: number,
    startSimMs: number,
    private readonly wallNow: () => number = Date.now,
  ) {
    if (!(scale > 0)) throw new Error(`clock scale must be > 0 (got ${scale})`);
    this.anchorWallMs = wallNow();
    this.anchorSimMs = startSimMs;
  }

  nowMs(): number {
    return this.anchorSimMs + (this.wallNow() - this.anchorWallMs) * this.scale;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Jumps the clock forward by `ms` simulated milliseconds. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`can only advance by a non-negative amount (got ${ms})`);
    this.reanchor(this.nowMs() + ms, this.scale);
  }

  /** Sets the clock to `atMs` and/or changes its scale, keeping it continuous otherwise. */
  set(options: { atMs?: number; scale?: number }): void {
    const scale = options.scale ?? this.scale;
    if (!(scale > 0)) throw new Error(`clock scale must be > 0 (got ${scale})`);
    this.reanchor(options.atMs ?? this.nowMs(), scale);
  }

  snapshot(): ClockSnapshot {
    const now = this.nowMs();
    return {
      now: new Date(now).toISOString(),
      scale: this.scale,
      anchorWallMs: this.anchorWallMs,
      anchorSimMs: this.anchorSimMs,
    };
  }

  private reanchor(simMs: number, scale: number): void {
    this.anchorWallMs = this.wallNow();
    this.anchorSimMs = simMs;
    this.scale = scale;
  }
}
