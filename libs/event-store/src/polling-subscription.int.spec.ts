import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@reprise/common/clock/system-clock';
import type { EventStore, ReadAllOptions, RecordedEvent } from './event-store.port';
import { PollingSubscription } from './polling-subscription';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

const meta = { actor: 'a', role: 'system', tenantId: 't', correlationId: 'c', causationId: null };

describe('polling subscription', () => {
  it('never skips an event another process appends between its read of a page and its jump to the head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-poll-'));
    const path = join(dir, 'events.db');
    const store = new SqliteEventStore({ path, clock: new ManualClock() });
    const other = new SqliteEventStore({ path, clock: new ManualClock() });
    await store.append('watched-1', [{ type: 'E1', data: {} }], {
      expectedRevision: 'no-stream',
      metadata: meta,
    });
    // Right after a page came back empty, another process appends a watched event.
    let injected = false;
    const racing: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: async (options?: ReadAllOptions) => {
        const page = await store.readAll(options);
        if (page.length === 0 && !injected) {
          injected = true;
          await other.append('watched-2', [{ type: 'E2', data: {} }], {
            expectedRevision: 'no-stream',
            metadata: meta,
          });
        }
        return page;
      },
    });
    const seen: string[] = [];
    const subscription = new PollingSubscription(
      racing,
      {
        subscriberId: 'watcher',
        streamPrefixes: ['watched-'],
        handler: (e: RecordedEvent) => void seen.push(e.type),
        checkpoints: { getCheckpoint: async () => 0, saveCheckpoint: async () => undefined },
      },
      { pollIntervalMs: 10 },
    );
    void subscription.start();
    const start = Date.now();
    while (seen.length < 2 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
    await subscription.stop();
    await store.close();
    await other.close();
    rmSync(dir, { recursive: true, force: true });
    expect(injected).toBe(true);
    expect(seen).toEqual(['E1', 'E2']);
  });
});
