import { Injectable } from '@nestjs/common';

/**
 * What the activation engine of this process is doing, for the time-skipping clock: steps running,
 * and among them those that only wait for a cloud operation (they wait for simulated time). The step
 * worker, the steps' waits and the dispatcher tell it; the reporter reads it. Cheap enough to keep
 * on any clock.
 */
@Injectable()
export class EngineActivity {
  private steps = 0;
  /** Steps handed to the queue and not started here yet, by key, until a wall-clock deadline. */
  private readonly handedOver = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly waits = new Map<string, number>();
  private readonly wakers = new Map<string, Set<() => void>>();
  private readonly listeners = new Set<() => void>();

  /**
   * Steps handed to the queue: until one starts here (or 2 s passed: another worker took it, or the
   * queue already held it), it counts as work, since the queue may already have moved it out of its
   * waiting list on its way to this process.
   */
  queued(keys: string[]): void {
    const until = Date.now() + 2000;
    for (const key of keys) {
      // A step handed over again (the dispatcher's periodic re-enqueue) is not new work.
      if (this.seen.has(key)) continue;
      if (this.seen.size >= 100_000) this.seen.clear();
      this.seen.add(key);
      this.handedOver.set(key, until);
    }
    this.changed();
  }

  /** Steps handed over and not started yet. */
  get pendingStarts(): number {
    const now = Date.now();
    for (const [key, until] of this.handedOver) if (until <= now) this.handedOver.delete(key);
    return this.handedOver.size;
  }

  /** A step starts; call the returned function when it ends. */
  stepStarted(key: string): () => void {
    this.handedOver.delete(key);
    this.steps++;
    this.changed();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.steps--;
      this.changed();
    };
  }

  /**
   * Runs `wait` (a step waiting for cloud operation `operationId`) as waiting for simulated time; its
   * pauses between polls end early when `wake(operationId)` says the operation is over.
   */
  async waitingFor<T>(
    operationId: string,
    wait: (pause: (ms: number) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    this.waits.set(operationId, (this.waits.get(operationId) ?? 0) + 1);
    this.changed();
    try {
      return await wait((ms) => this.pause(operationId, ms));
    } finally {
      const n = (this.waits.get(operationId) ?? 1) - 1;
      if (n > 0) this.waits.set(operationId, n);
      else this.waits.delete(operationId);
      this.changed();
    }
  }

  /** Ends the pauses of the waits for these operations (they poll at once). */
  wake(operationIds: Iterable<string>): void {
    for (const id of operationIds) for (const wake of [...(this.wakers.get(id) ?? [])]) wake();
  }

  /** Steps running that do not just wait for an operation. */
  get workingSteps(): number {
    let waiting = 0;
    for (const n of this.waits.values()) waiting += n;
    return Math.max(0, this.steps - waiting);
  }

  get runningSteps(): number {
    return this.steps;
  }

  get waitingOn(): string[] {
    return [...this.waits.keys()];
  }

  /** Something changed (a step, a wait, a dispatch): the reporter looks again. */
  changed(): void {
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private pause(operationId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.wakers.get(operationId) ?? new Set<() => void>();
      this.wakers.set(operationId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.wakers.get(operationId) === set) this.wakers.delete(operationId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }
}
