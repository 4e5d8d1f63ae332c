/**
 * The one simulated clock of Reprise. Simulated now = anchorSimMs + (wallNow - anchorWallMs) * scale
 * while it runs, anchorSimMs while it is paused. Advancing, setting, pausing or resuming the clock
 * re-anchors it; other processes read the anchors over HTTP (`GET /sim/v1/clock`) and compute the
 * same `now` locally.
 */
export type SimTimeMode = 'scaled' | 'skip';

export interface ClockSnapshot {
  now: string;
  scale: number;
  anchorWallMs: number;
  anchorSimMs: number;
  /** `scaled`: runs at `scale`; `skip`: stands still while the engine works, jumps when it waits. */
  mode: SimTimeMode;
  /** False while the clock stands still (skip mode: a process is working). */
  running: boolean;
}

export class SimClock {
  private anchorWallMs: number;
  private anchorSimMs: number;
  private running = true;

  constructor(
    private scale: number,
    startSimMs: number,
    private readonly wallNow: () => number = Date.now,
    readonly mode: SimTimeMode = 'scaled',
  ) {
    if (!(scale > 0)) throw new Error(`clock scale must be > 0 (got ${scale})`);
    this.anchorWallMs = wallNow();
    this.anchorSimMs = startSimMs;
  }

  nowMs(): number {
    if (!this.running) return this.anchorSimMs;
    return this.anchorSimMs + (this.wallNow() - this.anchorWallMs) * this.scale;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Stops the clock where it is (it reads the same until `resume`, or a jump). */
  pause(): void {
    if (!this.running) return;
    this.reanchor(this.nowMs(), this.scale);
    this.running = false;
  }

  /** Lets the clock run again at its scale from where it stands. */
  resume(): void {
    if (this.running) return;
    this.anchorWallMs = this.wallNow();
    this.running = true;
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
      mode: this.mode,
      running: this.running,
    };
  }

  private reanchor(simMs: number, scale: number): void {
    this.anchorWallMs = this.wallNow();
    this.anchorSimMs = simMs;
    this.scale = scale;
  }
}
