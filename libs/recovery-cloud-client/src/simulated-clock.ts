import type { Clock } from '@reprise/domain/shared/clock';
import type { ClockAnchors } from './types';

export interface SimulatedClockOptions {
  /** Base URL of the simulated cloud (RECOVERY_CLOUD_URL). */
  baseUrl: string;
  /** Re-sync period in wall ms. Default 500. */
  syncIntervalMs?: number;
  /** Timeout of one sync request. Default 2 000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  wallNow?: () => number;
}

/**
 * The engine's view of the simulator's clock. The recovery cloud owns the one simulated clock;
 * this adapter fetches its anchors (`GET /sim/v1/clock`) and computes
 * `now = anchorSimMs + (Date.now() - anchorWallMs) * scale` locally, re-syncing periodically so an
 * `advance` or a scale change in the cloud is seen within one interval. Call `sync()` (or `start()`)
 * before first use; `stop()` ends the timer (which is unref'ed and never keeps the process alive).
 */
export class SimulatedClock implements Clock {
  private anchors: ClockAnchors | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly wallNow: () => number;
  /** Last sync error, if the last sync failed (the clock keeps running on the previous anchors). */
  lastSyncError: Error | undefined;

  constructor(private readonly options: SimulatedClockOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.wallNow = options.wallNow ?? Date.now;
  }

  /** Syncs once, then keeps re-syncing every `syncIntervalMs`. */
  async start(): Promise<this> {
    await this.sync();
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.sync().catch(() => undefined);
      }, this.options.syncIntervalMs ?? 500);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async sync(): Promise<ClockAnchors> {
    try {
      const response = await this.fetchImpl(`${this.baseUrl}/sim/v1/clock`, {
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2000),
      });
      if (!response.ok) throw new Error(`GET /sim/v1/clock answered ${response.status}`);
      const anchors = (await response.json()) as ClockAnchors;
      this.anchors = anchors;
      this.lastSyncError = undefined;
      return anchors;
    } catch (error) {
      this.lastSyncError = error as Error;
      throw error;
    }
  }

  get synced(): boolean {
    return this.anchors !== undefined;
  }

  get scale(): number {
    return this.requireAnchors().scale;
  }

  now(): Date {
    const a = this.requireAnchors();
    return new Date(a.anchorSimMs + (this.wallNow() - a.anchorWallMs) * a.scale);
  }

  /** `wallMs` of real time from now, on the simulated clock: `wallMs × scale` simulated ms ahead. */
  afterWallTime(wallMs: number): Date {
    return new Date(this.now().getTime() + wallMs * this.scale);
  }

  /** Wall milliseconds that `simulatedMs` of simulated time take at the current scale. */
  wallMsFor(simulatedMs: number): number {
    return simulatedMs / this.requireAnchors().scale;
  }

  private requireAnchors(): ClockAnchors {
    if (!this.anchors) throw new Error('SimulatedClock used before sync(): call start() or sync() first');
    return this.anchors;
  }
}
