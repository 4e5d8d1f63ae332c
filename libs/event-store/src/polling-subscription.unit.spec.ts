import type { EventStore, ReadAllOptions, RecordedEvent } from './event-store.port';
import { PollingSubscription } from './polling-subscription';

/** A log whose tests decide exactly when an event is committed relative to the subscription's reads. */
class ScriptedLog {
  events: RecordedEvent[] = [];
  checkpoints = new Map<string, number>();
  /** Runs once inside the next readAll, after its snapshot was taken (a commit racing the read). */
  duringNextRead: (() => void) | null = null;

  commit(stream: string): void {
    const position = this.events.length + 1;
    this.events.push({
      id: `e${position}`,
      stream,
      revision: 0,
      position,
      type: 'E',
      data: {},
      metadata: {} as RecordedEvent['metadata'],
      hash: '',
      prevHash: '',
    });
  }

  store(): EventStore {
    return {
      readAll: async (options: ReadAllOptions = {}) => {
        const snapshot = [...this.events];
        const race = this.duringNextRead;
        this.duringNextRead = null;
        race?.();
        return snapshot.filter(
          (e) =>
            e.position > (options.afterPosition ?? 0) &&
            (!options.streamPrefixes?.length || options.streamPrefixes.some((p) => e.stream.startsWith(p))),
        );
      },
      headPosition: async () => this.events.length,
      getCheckpoint: async (id: string) => this.checkpoints.get(id) ?? 0,
      saveCheckpoint: async (id: string, position: number) => void this.checkpoints.set(id, position),
    } as unknown as EventStore;
  }
}

const until = async (predicate: () => boolean, ms = 2_000) => {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('PollingSubscription', () => {
  it('does not lose a wake-up that arrives while a read is finding nothing', async () => {
    const log = new ScriptedLog();
    const listeners: Array<() => void> = [];
    const seen: number[] = [];
    const sub = new PollingSubscription(
      log.store(),
      { subscriberId: 's', handler: (e) => void seen.push(e.position) },
      // A poll so slow that only the wake-up can deliver the event in time.
      { pollIntervalMs: 600_000, wakeUp: (l) => (listeners.push(l), () => undefined) },
    );
    void sub.start();
    try {
      await sub.caughtUp;
      log.duringNextRead = () => {
        log.commit('a');
        for (const l of listeners) l();
      };
      for (const l of listeners) l();
      await until(() => seen.length === 1);
      expect(seen).toEqual([1]);
    } finally {
      await sub.stop();
    }
  });

  it('never moves a filtered checkpoint past an event committed between its page and its head', async () => {
    const log = new ScriptedLog();
    log.commit('other');
    const listeners: Array<() => void> = [];
    const seen: number[] = [];
    const sub = new PollingSubscription(
      log.store(),
      { subscriberId: 's', streamPrefixes: ['mine'], handler: (e) => void seen.push(e.position) },
      { pollIntervalMs: 10, wakeUp: (l) => (listeners.push(l), () => undefined) },
    );
    // The matching event commits after the (empty) page was read, before anything else.
    log.duringNextRead = () => log.commit('mine-1');
    void sub.start();
    try {
      await until(() => seen.length === 1);
      expect(seen).toEqual([2]);
      expect(log.checkpoints.get('s')).toBe(2);
    } finally {
      await sub.stop();
    }
  });
});
