import type { DeepPartial, SimConfig } from './model/config';
import type { SimTimeMode } from './model/sim-clock';

export const RECOVERY_CLOUD_OPTIONS = Symbol('RECOVERY_CLOUD_OPTIONS');

export interface RecoveryCloudOptions {
  /** Seed of every random draw (boot jitter, random faults, API errors). Default SIM_SEED or 42. */
  seed?: number;
  /** Simulated ms per wall ms. Default SIM_TIME_SCALE or 600 (10 simulated minutes per wall second). */
  timeScale?: number;
  /** `scaled` (default): the clock runs at `timeScale`; `skip`: it stands still while the engine works and jumps to the next due event when it waits (SIM_TIME_MODE). */
  timeMode?: SimTimeMode;
  /** Simulated start time. Default: the wall time at start-up. */
  startAt?: Date | string | number;
  /** Overrides of the default capacity/timing/fault configuration. */
  config?: DeepPartial<SimConfig>;
  /** Structured request logs (pino). Default false in-process, true from main.ts. */
  logging?: boolean;
  /** Wall clock (tests). Default Date.now. */
  wallNow?: () => number;
}
