/** A completion the model owes at a simulated time (an operation that is not a restore). */
export interface ScheduledCompletion {
  dueAt: number;
  /** Tie-break between completions due at the same instant: the operation's creation order. */
  seq: number;
  complete: (at: number) => void;
}

/**
 * The model's scheduled completions by operation id, with the earliest one at hand: a binary heap
 * ordered by (dueAt, seq) beside the map. A cancelled completion stays in the heap until it reaches
 * the top, where it is dropped (lazy deletion), so every operation is O(log n).
 */
export class ScheduledCompletions {
  private readonly byId = new Map<string, ScheduledCompletion>();
  private readonly heap: Array<{ id: string; entry: ScheduledCompletion }> = [];

  get size(): number {
    return this.byId.size;
  }

  set(id: string, entry: ScheduledCompletion): void {
    this.byId.set(id, entry);
    this.heap.push({ id, entry });
    this.up(this.heap.length - 1);
  }

  get(id: string): ScheduledCompletion | undefined {
    return this.byId.get(id);
  }

  delete(id: string): boolean {
    return this.byId.delete(id);
  }

  /** The earliest completion still scheduled, if any. */
  peek(): { id: string; entry: ScheduledCompletion } | undefined {
    for (;;) {
      const top = this.heap[0];
      if (!top) return undefined;
      if (this.byId.get(top.id) === top.entry) return top;
      this.pop();
    }
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a].entry;
    const y = this.heap[b].entry;
    return x.dueAt < y.dueAt || (x.dueAt === y.dueAt && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.heap[b], this.heap[a]];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < this.heap.length && this.before(left, first)) first = left;
      if (right < this.heap.length && this.before(right, first)) first = right;
      if (first === i) return;
      this.swap(i, first);
      i = first;
    }
  }
}
