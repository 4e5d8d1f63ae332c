import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CloudModel } from './model/cloud-model';
import { defaultSimConfig, mergeConfig, type SimConfig, validateConfig } from './model/config';
import { mulberry32 } from './model/random';
import { SimClock } from './model/sim-clock';
import { RECOVERY_CLOUD_OPTIONS, type RecoveryCloudOptions } from './recovery-cloud.options';
import { TimeSkipper } from './time-skipping';

export type OutageMode = 'refuse' | 'drop';

/**
 * The process-wide state of the simulator: the simulated clock, the cloud model, and the API
 * misbehaviour (injected error bursts, seeded random errors and latency, outages).
 */
@Injectable()
export class RecoveryCloudState implements OnModuleDestroy {
  readonly clock: SimClock;
  /** The time-skipping clock's participants (`SIM_TIME_MODE=skip`), or undefined on a scaled clock. */
  readonly skipper: TimeSkipper | undefined;
  private readonly skipperTick: NodeJS.Timeout | undefined;
  model: CloudModel;
  private readonly initialConfig: SimConfig;
  private seed: number;
  private apiRandom: () => number;
  private errorBursts: { remaining: number; status: number; phase: 'before' | 'after' }[] = [];
  private outage: { untilWallMs: number; mode: OutageMode } | undefined;
  readonly apiStats = { requests: 0, injectedErrors: 0, outageRejections: 0, delayedRequests: 0 };

  constructor(@Inject(RECOVERY_CLOUD_OPTIONS) private readonly options: RecoveryCloudOptions) {
    this.seed = options.seed ?? 42;
    const wallNow = options.wallNow ?? Date.now;
    const start = options.startAt === undefined ? wallNow() : new Date(options.startAt).getTime();
    this.clock = new SimClock(options.timeScale ?? 600, start, wallNow, options.timeMode ?? 'scaled');
    if (this.clock.mode === 'skip') {
      this.skipper = new TimeSkipper(this.clock, () => this.model, wallNow);
      // A participant that stopped reporting (a worker that died) lets the clock run again.
      this.skipperTick = setInterval(() => this.skipper?.evaluate(), 1000);
      this.skipperTick.unref();
    }
    this.initialConfig = validateConfig(mergeConfig(defaultSimConfig(), options.config ?? {}));
    this.model = new CloudModel(this.initialConfig, this.seed, this.clock.nowMs());
    this.apiRandom = mulberry32(this.seed ^ 0x5eed);
  }

  now(): number {
    return this.clock.nowMs();
  }

  onModuleDestroy(): void {
    if (this.skipperTick) clearInterval(this.skipperTick);
  }

  wallNow(): number {
    return (this.options.wallNow ?? Date.now)();
  }

  /** Clears every resource, operation, fault and statistic; keeps the clock. */
  reset(options: { seed?: number; config?: unknown } = {}): void {
    if (options.seed !== undefined) this.seed = options.seed;
    const config = validateConfig(mergeConfig(this.initialConfig, options.config ?? {}));
    this.model = new CloudModel(config, this.seed, this.now());
    this.apiRandom = mulberry32(this.seed ^ 0x5eed);
    this.errorBursts = [];
    this.outage = undefined;
    this.apiStats.requests = 0;
    this.apiStats.injectedErrors = 0;
    this.apiStats.outageRejections = 0;
    this.apiStats.delayedRequests = 0;
  }

  addErrorBurst(count: number, status: number, phase: 'before' | 'after'): void {
    this.errorBursts.push({ remaining: count, status, phase });
  }

  clearChaos(): void {
    this.errorBursts = [];
    this.outage = undefined;
  }

  startOutage(seconds: number, mode: OutageMode): { until: string; mode: OutageMode } {
    this.outage = { untilWallMs: this.wallNow() + seconds * 1000, mode };
    return { until: new Date(this.outage.untilWallMs).toISOString(), mode };
  }

  endOutage(): void {
    this.outage = undefined;
  }

  /** The outage in force now, if any. */
  currentOutage(): { mode: OutageMode; remainingMs: number } | undefined {
    if (!this.outage) return undefined;
    const remainingMs = this.outage.untilWallMs - this.wallNow();
    if (remainingMs <= 0) {
      this.outage = undefined;
      return undefined;
    }
    return { mode: this.outage.mode, remainingMs };
  }

  /** Decides, for one provider request, whether to answer with an injected error (and when). */
  drawApiError(): { status: number; phase: 'before' | 'after' } | undefined {
    const burst = this.errorBursts[0];
    if (burst) {
      burst.remaining--;
      if (burst.remaining <= 0) this.errorBursts.shift();
      this.apiStats.injectedErrors++;
      return { status: burst.status, phase: burst.phase };
    }
    const api = this.model.apiSettings();
    if (api.errorRate > 0 && this.apiRandom() < api.errorRate) {
      this.apiStats.injectedErrors++;
      return { status: api.errorStatus, phase: 'before' };
    }
    return undefined;
  }

  /** Latency to add to one provider request, in wall ms. */
  drawLatencyMs(): number {
    const api = this.model.apiSettings();
    if (api.latencyMs > 0 && api.latencyRate > 0 && this.apiRandom() < api.latencyRate) {
      this.apiStats.delayedRequests++;
      return api.latencyMs;
    }
    return 0;
  }
}
