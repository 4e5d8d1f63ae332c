import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/**
 * Work divided among the live processes of one kind (the workers' dispatchers) through leases in
 * Redis that expire: the work is cut into a fixed number of partitions; each process announces
 * itself in a membership set every `renewMs` (its entry expires after `leaseMs`), and holds the
 * lease of each partition whose rendezvous-hash winner it is among the live members. A process that
 * dies stops renewing: after at most `leaseMs` its entry and its leases are gone and the partitions
 * pass to the survivors; a process that joins gets its share as the others release it.
 *
 * A lease divides work, it never decides anything: what the work does must stay right when two
 * processes do it at once (briefly, a process paused longer than its lease still believes it holds
 * it) or when nobody does it for a lease's length. Redis holds no truth here: a flushed Redis only
 * makes every process claim again.
 */
export interface PartitionLeasesOptions {
  redis: Redis;
  /** Key prefix, e.g. `<QUEUE_PREFIX>:dispatch` (the same for every process sharing the work). */
  prefix: string;
  /** This process's name among the members (unique per process). */
  memberId: string;
  partitions?: number;
  leaseMs?: number;
  renewMs?: number;
  onError?: (error: Error) => void;
}

/** Fixed, never configured: two processes with different counts would leave work to nobody. */
export const PARTITIONS = 64;

/** The partition of a unit of work (e.g. an activation stream): stable across processes and runs. */
export function partitionOf(key: string, partitions = PARTITIONS): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % partitions;
}

/** Rendezvous (highest random weight) hashing: the member that wins `partition`. */
export function winnerOf(partition: number, members: readonly string[]): string | null {
  let best: string | null = null;
  let bestWeight = -1;
  for (const member of members) {
    const weight = createHash('sha1').update(`${member}\n${partition}`).digest().readUInt32BE(0);
    if (weight > bestWeight || (weight === bestWeight && best !== null && member < best)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}

/** Renews this member, drops the expired ones (Redis's own clock), returns the live members. */
const JOIN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], lease * 2)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/**
 * Holds the partitions this member wins (renewed, or taken when free), releases those it no longer
 * wins; a partition still held by another member (alive, or dead and not expired) is left to it.
 * Returns the partitions held after the round.
 */
const CLAIM = `
local me = ARGV[1]
local lease = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local wanted = {}
for i = 4, #ARGV do wanted[tonumber(ARGV[i])] = true end
local held = {}
for p = 0, count - 1 do
  local key = KEYS[1] .. p
  local holder = redis.call('GET', key)
  if wanted[p] then
    if holder == me then
      redis.call('PEXPIRE', key, lease)
      held[#held + 1] = p
    elseif not holder then
      redis.call('SET', key, me, 'PX', lease)
      held[#held + 1] = p
    end
  elseif holder == me then
    redis.call('DEL', key)
  end
end
return held`;

/** Releases everything this member holds and leaves the membership (a clean stop). */
const LEAVE = `
for p = 0, tonumber(ARGV[2]) - 1 do
  local key = KEYS[2] .. p
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
redis.call('ZREM', KEYS[1], ARGV[1])
return 0`;

export interface LeaseChange {
  gained: number[];
  lost: number[];
}

export class PartitionLeases {
  readonly partitions: number;
  private readonly listeners = new Set<(change: LeaseChange) => void>();
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private held = new Set<number>();
  private members: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: PartitionLeasesOptions) {
    this.partitions = options.partitions ?? PARTITIONS;
    this.leaseMs = options.leaseMs ?? 5000;
    this.renewMs = options.renewMs ?? 1000;
    if (this.renewMs * 2 > this.leaseMs) throw new Error('a lease must last at least two renewals');
  }

  private get membersKey(): string {
    return `${this.options.prefix}:members`;
  }

  private get leaseKeyPrefix(): string {
    return `${this.options.prefix}:partition:`;
  }

  /** Takes this member's share once, then renews it every `renewMs`. */
  async start(): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => void this.renew(), this.renewMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
    const lost = [...this.held];
    this.held = new Set();
    await this.options.redis
      .eval(LEAVE, 2, this.membersKey, this.leaseKeyPrefix, this.options.memberId, this.partitions)
      .catch((error: Error) => this.options.onError?.(error));
    if (lost.length) this.changed({ gained: [], lost });
  }

  /** Called after each round that changed what this member holds; returns the unsubscription. */
  onChange(listener: (change: LeaseChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(change: LeaseChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /** Does this member hold the partition of `key` now? */
  holds(key: string): boolean {
    return this.held.has(partitionOf(key, this.partitions));
  }

  /** The partitions held now, and the live members as last seen. */
  snapshot(): { held: number[]; members: string[] } {
    return { held: [...this.held].sort((a, b) => a - b), members: [...this.members] };
  }

  /** One round: announce, then hold what this member wins and release the rest. */
  renew(): Promise<void> {
    this.round = this.round.then(() => this.renewNow());
    return this.round;
  }

  private async renewNow(): Promise<void> {
    if (this.stopped) return;
    const { redis, memberId } = this.options;
    let held: number[];
    try {
      this.members = (await redis.eval(JOIN, 1, this.membersKey, memberId, this.leaseMs)) as string[];
      const wanted: number[] = [];
      for (let p = 0; p < this.partitions; p++) if (winnerOf(p, this.members) === memberId) wanted.push(p);
      held = (await redis.eval(
        CLAIM,
        1,
        this.leaseKeyPrefix,
        memberId,
        this.leaseMs,
        this.partitions,
        ...wanted,
      )) as number[];
    } catch (error) {
      // Redis unreachable: what is held expires by itself elsewhere; here it is given up too, so
      // two processes never both believe they hold a partition for long.
      held = [];
      this.options.onError?.(error as Error);
    }
    if (this.stopped) return;
    const next = new Set(held.map(Number));
    const gained = [...next].filter((p) => !this.held.has(p));
    const lost = [...this.held].filter((p) => !next.has(p));
    this.held = next;
    if (gained.length || lost.length) this.changed({ gained, lost });
  }
}
