import type { EventStore, RecordedEvent } from './event-store.port';
import { PollingSubscription } from './polling-subscription';

const event = (position: number, stream: string): RecordedEvent =>
  ({ position, stream, revision: 0, id: `e${position}`, type: 'Happened', data: {}, metadata: {} }) as never;

describe('polling subscription', () => {
  it('never skips an event another process commits between reading a page and reading the head', async () => {
    const log: RecordedEvent[] = [event(1, 'other/1')];
    let racedIn = false;
    const store = {
      readAll: async ({ afterPosition }: { afterPosition: number }) => {
        const page = log.filter((e) => e.position > afterPosition && e.stream.startsWith('tenant/'));
        // Another process commits right after this (empty) page was read.
        if (!racedIn && page.length === 0) {
          racedIn = true;
          log.push(event(2, 'tenant/t/activation/a'));
        }
        return page;
      },
      headPosition: async () => log.at(-1)!.position,
      getCheckpoint: async () => 0,
      saveCheckpoint: async () => undefined,
    } as unknown as EventStore;
    const handled: number[] = [];
    const subscription = new PollingSubscription(
      store,
      { subscriberId: 's', streamPrefixes: ['tenant/'], handler: (e) => void handled.push(e.position) },
      { pollIntervalMs: 5 },
    );
    void subscription.start();
    const deadline = Date.now() + 2000;
    while (handled.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await subscription.stop();
    expect(racedIn).toBe(true);
    expect(handled).toEqual([2]);
  });
});
