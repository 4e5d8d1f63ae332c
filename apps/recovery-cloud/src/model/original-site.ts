import type { SimConfig } from './config';
import { keyedRandom } from './random';
import type { SiteState, VmResource } from './types';

export const GIB = 2 ** 30;
const MIB = 2 ** 20;
const MINUTE = 60_000;

/**
 * The data a server changed while it ran at the recovery site, in bytes, up to `now`: what it had
 * changed before its current run plus its rate times the time it has been running. Whole bytes,
 * never decreasing, the same for the same (seed, hostname, times).
 */
export function changedBytes(vm: VmResource, ratePerMinute: number, now: number): number {
  const before = vm.changedBytes ?? 0;
  if (vm.runningSince === undefined) return before;
  return before + Math.floor((Math.max(0, now - vm.runningSince) / MINUTE) * ratePerMinute);
}

/** The server starts writing at the recovery site (it runs). */
export function markRunning(vm: VmResource, at: number): void {
  vm.state = 'running';
  if (vm.runningSince === undefined) vm.runningSince = at;
}

/** The server stops writing at the recovery site: what it changed so far is frozen. */
export function freezeChanges(vm: VmResource, ratePerMinute: number, at: number): void {
  vm.changedBytes = changedBytes(vm, ratePerMinute, at);
  vm.runningSince = undefined;
}

/** Bytes per minute a server changes at the recovery site: its configured rate, or the seeded one. */
export function changeRatePerMinute(config: SimConfig['failback'], seed: number, hostname: string): number {
  const named = config.changeRates[hostname];
  const jitter =
    ((keyedRandom(seed, 'change-rate', hostname) * 2 - 1) * config.changeRateJitterPercent) / 100;
  const gibPerHour = named ?? config.changeRateGiBPerHour * (1 + jitter);
  return Math.round((gibPerHour * GIB) / 60);
}

/** Wall-clock-free duration of sending `bytes` to the original site, simulated ms. */
export function transferMs(bytes: number, bandwidthMiBps: number): number {
  return Math.ceil((bytes / (bandwidthMiBps * MIB)) * 1000);
}

/**
 * The reverse replication of one server of one activation, from the recovery site back to the
 * original site: an initial copy of its disks (with the changes made up to the copy's start), then
 * deltas of what changed since. Byte ranges are counted on the server's change stream, so a range
 * sent twice (two deltas at once under different keys) shows as `resentBytes`.
 */
export interface ReverseReplication {
  tenantId: string;
  activationId: string;
  serverId: string;
  hostname: string;
  vmId: string;
  ratePerMinute: number;
  /** Disk bytes of the initial copy (counted once it started). */
  initialCopyBytes: number;
  initialCopyDone: boolean;
  /** Changes confirmed at the original site: the stream up to here arrived. */
  changesArrivedUpTo: number;
  /** Highest end of any range ever sent (in flight or arrived). */
  changesSentUpTo: number;
  deltaBytes: number;
  deltaRequests: number;
  finalDeltaBytes: number;
  finalDeltaRequests: number;
  resentBytes: number;
  /** The server at the original site. */
  originalState: 'stopped' | 'starting' | 'running' | 'failed';
  originalStarts: number;
  duplicateOriginalStarts: number;
}

/** Sends the change range [from, to): counts it, and what of it had been sent already. */
export function sendRange(r: ReverseReplication, from: number, to: number): number {
  const bytes = Math.max(0, to - from);
  r.resentBytes += Math.max(0, Math.min(to, r.changesSentUpTo) - from);
  r.changesSentUpTo = Math.max(r.changesSentUpTo, to);
  return bytes;
}

/** Sites of the customers: a default for all, and a state per tenant that overrides it. */
export class OriginalSites {
  private fallback: SiteState = 'up';
  private readonly byTenant = new Map<string, SiteState>();

  set(state: SiteState, tenantId?: string): void {
    if (tenantId) this.byTenant.set(tenantId, state);
    else {
      this.fallback = state;
      this.byTenant.clear();
    }
  }

  of(tenantId: string): SiteState {
    return this.byTenant.get(tenantId) ?? this.fallback;
  }

  snapshot(): { state: SiteState; tenants: Record<string, SiteState> } {
    return { state: this.fallback, tenants: Object.fromEntries(this.byTenant) };
  }
}
