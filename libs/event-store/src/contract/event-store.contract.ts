import { randomUUID } from 'node:crypto';
import { leafHashOf } from '@reprise/audit-log/leaf';
import {
  MemoryTree,
  consistencyProof,
  fromHex,
  rootOf,
  toHex,
  verifyConsistency,
} from '@reprise/audit-log/merkle';
import { generateSigningKey, signTreeHead, trustedKeys } from '@reprise/audit-log/tree-head';
import { TREE_HEAD_SIGNED, verifyLog } from '@reprise/audit-log/verify-log';
import { ManualClock } from '@reprise/common/clock/system-clock';
import { CompletionRunner } from '../completions/completion-runner';
import { EventStore, MetadataInput, RecordedEvent, WrongExpectedVersionError } from '../event-store.port';

export interface ContractHarness {
  /** Opens a store over the same underlying storage each time it is called (a "process"). */
  open(clock: ManualClock): Promise<EventStore> | EventStore;
  /**
   * Changes the data of one stored event behind the store's back (or, where events are immutable,
   * forges one carrying its hash); returns the position of the event that no longer matches.
   */
  tamper(store: EventStore, event: RecordedEvent): Promise<number>;
  cleanup?(): Promise<void>;
}

export const meta = (overrides: Partial<MetadataInput> = {}): MetadataInput => ({
  actor: 'alice@example.com',
  role: 'dr-manager',
  tenantId: 'tenant-a',
  correlationId: 'corr-1',
  causationId: null,
  ...overrides,
});

const waitFor = async (predicate: () => boolean, timeoutMs = 5000): Promise<void> => {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * The one contract every EventStore adapter must honour. Each adapter's spec calls this with a
 * harness that knows how to open its store and how to tamper with it.
 */
export function eventStoreContract(name: string, makeHarness: () => ContractHarness): void {
  describe(`EventStore contract: ${name}`, () => {
    let harness: ContractHarness;
    let clock: ManualClock;
    let store: EventStore;
    const opened: EventStore[] = [];
    const open = async () => {
      const s = await harness.open(clock);
      opened.push(s);
      return s;
    };
    // Unique stream names so the suite can run against a shared server.
    let ns: string;
    const s = (name: string) => `${ns}-${name}`;

    beforeEach(async () => {
      harness = makeHarness();
      clock = new ManualClock(new Date('2026-03-02T10:00:00.000Z'));
      ns = `t${randomUUID().slice(0, 8)}`;
      store = await open();
    });

    afterEach(async () => {
      for (const o of opened.splice(0)) await o.close().catch(() => undefined);
      await harness.cleanup?.();
    });

    it('appends events in order with revisions, increasing global positions and full metadata', async () => {
      const first = await store.append(
        s('server-1'),
        [
          { type: 'A', data: { n: 1 } },
          { type: 'B', data: { n: 2 } },
        ],
        {
          expectedRevision: 'no-stream',
          metadata: meta({ requestId: 'req-1' }),
        },
      );
      expect(first.nextRevision).toBe(1);
      clock.advance(60_000);
      const second = await store.append(s('server-1'), [{ type: 'C', data: { n: 3 } }], {
        expectedRevision: 1,
        metadata: meta(),
      });
      expect(second.nextRevision).toBe(2);
      expect(second.position).toBeGreaterThan(first.position);

      const events = await store.readStream(s('server-1'));
      expect(events.map((e) => [e.type, e.revision, e.data])).toEqual([
        ['A', 0, { n: 1 }],
        ['B', 1, { n: 2 }],
        ['C', 2, { n: 3 }],
      ]);
      expect(events[0].metadata).toMatchObject({
        actor: 'alice@example.com',
        role: 'dr-manager',
        tenantId: 'tenant-a',
        correlationId: 'corr-1',
        causationId: null,
        requestId: 'req-1',
        recordedAt: '2026-03-02T10:00:00.000Z',
      });
      expect(events[2].metadata.recordedAt).toBe('2026-03-02T10:01:00.000Z');
      // The leaf hash of the transparency log is recorded with each event, from its content as written.
      for (const e of events) {
        expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(e.hashRule).toBeUndefined();
        expect(leafHashOf(e)).toBe(e.hash);
      }
      expect(first.events.map((e) => e.hash)).toEqual(events.slice(0, 2).map((e) => e.hash));
      expect(await store.streamRevision(s('server-1'))).toBe(2);
      expect(await store.streamRevision(s('nothing'))).toBe(-1);
      expect((await store.readStream(s('server-1'), { fromRevision: 1 })).map((e) => e.type)).toEqual([
        'B',
        'C',
      ]);
    });

    it('refuses a wrong expected revision with a typed error', async () => {
      await store.append(s('x'), [{ type: 'A', data: {} }], {
        expectedRevision: 'no-stream',
        metadata: meta(),
      });
      await expect(
        store.append(s('x'), [{ type: 'B', data: {} }], { expectedRevision: 'no-stream', metadata: meta() }),
      ).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(
        store.append(s('x'), [{ type: 'B', data: {} }], { expectedRevision: 5, metadata: meta() }),
      ).rejects.toMatchObject({
        stream: s('x'),
        expected: 5,
        actual: 0,
      });
      await expect(
        store.append(s('y'), [{ type: 'B', data: {} }], {
          expectedRevision: 'stream-exists',
          metadata: meta(),
        }),
      ).rejects.toBeInstanceOf(WrongExpectedVersionError);
      const any = await store.append(s('x'), [{ type: 'C', data: {} }], {
        expectedRevision: 'any',
        metadata: meta(),
      });
      expect(any.nextRevision).toBe(1);
    });

    it('lets exactly one of two concurrent writers win, from one process and from two', async () => {
      await store.append(s('race'), [{ type: 'Created', data: {} }], {
        expectedRevision: 'no-stream',
        metadata: meta(),
      });
      const results = await Promise.allSettled([
        store.append(s('race'), [{ type: 'ByOne', data: {} }], { expectedRevision: 0, metadata: meta() }),
        store.append(s('race'), [{ type: 'ByTwo', data: {} }], { expectedRevision: 0, metadata: meta() }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(WrongExpectedVersionError);

      const other = await open();
      const crossProcess = await Promise.allSettled([
        store.append(s('race'), [{ type: 'A', data: {} }], { expectedRevision: 1, metadata: meta() }),
        other.append(s('race'), [{ type: 'B', data: {} }], { expectedRevision: 1, metadata: meta() }),
      ]);
      expect(crossProcess.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await store.readStream(s('race'))).map((e) => e.revision)).toEqual([0, 1, 2]);
      const raced = await store.readStream(s('race'));
      expect(verifyLog(raced, { tenantId: 'tenant-a', keys: trustedKeys([]) })).toMatchObject({
        valid: true,
        checkedEvents: 3,
      });
    });

    it('reads everything in global order after a position, optionally filtered by stream prefix', async () => {
      await store.append(s('a-1'), [{ type: 'A1', data: {} }], { expectedRevision: 'any', metadata: meta() });
      const mark = await store.append(s('b-1'), [{ type: 'B1', data: {} }], {
        expectedRevision: 'any',
        metadata: meta(),
      });
      await store.append(s('a-1'), [{ type: 'A2', data: {} }], { expectedRevision: 'any', metadata: meta() });
      await store.append(s('b-1'), [{ type: 'B2', data: {} }], { expectedRevision: 'any', metadata: meta() });
      const mine = (events: RecordedEvent[]) =>
        events.filter((e) => e.stream.startsWith(ns)).map((e) => e.type);
      const all = await store.readAll({ streamPrefixes: [ns] });
      expect(mine(all)).toEqual(['A1', 'B1', 'A2', 'B2']);
      expect(all.map((e) => e.position)).toEqual([...all.map((e) => e.position)].sort((x, y) => x - y));
      expect(mine(await store.readAll({ afterPosition: mark.position, streamPrefixes: [ns] }))).toEqual([
        'A2',
        'B2',
      ]);
      expect(mine(await store.readAll({ streamPrefixes: [s('a-')] }))).toEqual(['A1', 'A2']);
      expect(mine(await store.readAll({ streamPrefixes: [ns], maxCount: 2 }))).toEqual(['A1', 'B1']);
      expect(await store.headPosition()).toBeGreaterThanOrEqual(all[all.length - 1].position);
    });

    it('subscribes: catches up, then receives live events, including those another process appends', async () => {
      await store.append(
        s('sub'),
        [
          { type: 'E1', data: {} },
          { type: 'E2', data: {} },
        ],
        { expectedRevision: 'any', metadata: meta() },
      );
      const seen: string[] = [];
      const sub = store.subscribe({
        subscriberId: s('reader'),
        streamPrefixes: [ns],
        handler: (e) => void seen.push(e.type),
      });
      await sub.caughtUp;
      expect(seen).toEqual(['E1', 'E2']);
      await store.append(s('sub'), [{ type: 'E3', data: {} }], { expectedRevision: 'any', metadata: meta() });
      const other = await open();
      await other.append(s('sub'), [{ type: 'E4', data: {} }], { expectedRevision: 'any', metadata: meta() });
      await waitFor(() => seen.length === 4);
      expect(seen).toEqual(['E1', 'E2', 'E3', 'E4']);
      await sub.stop();
    });

    it('resumes from its durable checkpoint after a restart', async () => {
      await store.append(
        s('cp'),
        [
          { type: 'E1', data: {} },
          { type: 'E2', data: {} },
        ],
        { expectedRevision: 'any', metadata: meta() },
      );
      const first: string[] = [];
      const sub = store.subscribe({
        subscriberId: s('projector'),
        streamPrefixes: [ns],
        handler: (e) => void first.push(e.type),
      });
      await sub.caughtUp;
      await sub.drain();
      await sub.stop();
      await store.close();

      const restarted = await open();
      await restarted.append(s('cp'), [{ type: 'E3', data: {} }], {
        expectedRevision: 'any',
        metadata: meta(),
      });
      const second: string[] = [];
      const again = restarted.subscribe({
        subscriberId: s('projector'),
        streamPrefixes: [ns],
        handler: (e) => void second.push(e.type),
      });
      await again.caughtUp;
      await waitFor(() => second.length >= 1);
      await again.drain();
      expect(first).toEqual(['E1', 'E2']);
      expect(second).toEqual(['E3']);
      await again.stop();
    });

    it('retries an event whose handler failed, without skipping it', async () => {
      await store.append(
        s('retry'),
        [
          { type: 'E1', data: {} },
          { type: 'E2', data: {} },
        ],
        { expectedRevision: 'any', metadata: meta() },
      );
      const seen: string[] = [];
      let failures = 0;
      const errors: unknown[] = [];
      const sub = store.subscribe({
        subscriberId: s('flaky'),
        streamPrefixes: [ns],
        handler: (e) => {
          if (e.type === 'E2' && failures++ === 0) throw new Error('transient');
          seen.push(e.type);
        },
        onError: (error) => errors.push(error),
      });
      await waitFor(() => seen.length === 2);
      expect(seen).toEqual(['E1', 'E2']);
      expect(errors).toHaveLength(1);
      await sub.stop();
    });

    it('leaves nothing behind when an append fails', async () => {
      await store.append(s('atomic'), [{ type: 'A', data: {} }], {
        expectedRevision: 'no-stream',
        metadata: meta(),
      });
      const before = await store.readAll({ streamPrefixes: [ns] });
      await expect(
        store.append(
          s('atomic'),
          [
            { type: 'B', data: {} },
            { type: 'C', data: { bad: BigInt(1) } },
          ],
          { expectedRevision: 0, metadata: meta() },
        ),
      ).rejects.toThrow();
      await expect(
        store.append(
          s('atomic'),
          [
            { type: 'B', data: {} },
            { type: '', data: {} },
          ],
          { expectedRevision: 0, metadata: meta() },
        ),
      ).rejects.toThrow();
      expect(await store.readAll({ streamPrefixes: [ns] })).toEqual(before);
      expect(await store.streamRevision(s('atomic'))).toBe(0);
      const next = await store.append(s('atomic'), [{ type: 'B', data: {} }], {
        expectedRevision: 0,
        metadata: meta(),
      });
      expect(next.nextRevision).toBe(1);
    });

    it('completes a decision once on every stream: after a crash, with racing processes and writers', async () => {
      // A decision names the streams it changes; the process manager asks one completion per stream.
      const decisions = s('registry');
      const target = (i: number) => s(`target-${i}`);
      const completionsOf = (e: RecordedEvent) =>
        e.stream === decisions
          ? (e.data as { targets: string[] }).targets.map((stream) => ({
              stream,
              events: [{ type: 'Completed', data: { of: e.id } }],
            }))
          : [];
      const decide = (targets: string[], expectedRevision: 'no-stream' | number) =>
        store.append(decisions, [{ type: 'Decided', data: { targets } }], {
          expectedRevision,
          metadata: meta({ actor: 'carol@example.com', correlationId: 'req-9' }),
        });
      // The process died right after its decisive append, having completed one stream of three;
      // another writer appended to a second one in the meantime.
      const first = (await decide([target(1), target(2), target(3)], 'no-stream')).events[0];
      await store.append(target(1), [{ type: 'Completed', data: { of: first.id } }], {
        expectedRevision: 'no-stream',
        metadata: meta({ causationId: first.id }),
      });
      await store.append(target(2), [{ type: 'Other', data: {} }], {
        expectedRevision: 'no-stream',
        metadata: meta(),
      });
      // Two processes start their runners at once; a new decision arrives while they run.
      const other = await open();
      const runners = [
        new CompletionRunner(store, { subscriberId: s('runner-a'), streamPrefixes: [ns], completionsOf }),
        new CompletionRunner(other, { subscriberId: s('runner-b'), streamPrefixes: [ns], completionsOf }),
      ];
      await Promise.all(runners.map((r) => r.start()));
      const second = (await decide([target(2), target(4)], 0)).events[0];
      for (const r of runners) expect((await r.waitFor(second.position, 10_000)).done).toBe(true);
      await Promise.all(runners.map((r) => r.stop()));
      // A restarted runner (same checkpoint) and one from scratch find nothing left to do.
      const again = new CompletionRunner(store, {
        subscriberId: s('runner-a'),
        streamPrefixes: [ns],
        completionsOf,
      });
      await again.start();
      expect(await again.complete(second)).toBe(0);
      await again.stop();

      const causes = async (stream: string) =>
        (await store.readStream(stream)).map((e) => `${e.type}:${e.metadata.causationId ?? '-'}`);
      expect(await causes(target(1))).toEqual([`Completed:${first.id}`]);
      expect(await causes(target(2))).toEqual(['Other:-', `Completed:${first.id}`, `Completed:${second.id}`]);
      expect(await causes(target(3))).toEqual([`Completed:${first.id}`]);
      expect(await causes(target(4))).toEqual([`Completed:${second.id}`]);
      // Completions say who decided and in which flow.
      const [completion] = await store.readStream(target(4));
      expect(completion.metadata).toMatchObject({ actor: 'carol@example.com', correlationId: 'req-9' });
    });

    it('records a completion asked only on an existing stream there, and nowhere else', async () => {
      const decision = (
        await store.append(s('decisions'), [{ type: 'Decided', data: {} }], {
          expectedRevision: 'no-stream',
          metadata: meta(),
        })
      ).events[0];
      await store.append(s('existing'), [{ type: 'Other', data: {} }], {
        expectedRevision: 'no-stream',
        metadata: meta(),
      });
      const runner = new CompletionRunner(store, {
        subscriberId: s('runner-if-exists'),
        streamPrefixes: [ns],
        completionsOf: (e) =>
          e.id === decision.id
            ? [s('existing'), s('absent')].map((stream) => ({
                stream,
                events: [{ type: 'Released', data: {} }],
                ifStreamExists: true,
              }))
            : [],
      });
      expect(await runner.complete(decision)).toBe(1);
      expect((await store.readStream(s('existing'))).map((e) => e.type)).toEqual(['Other', 'Released']);
      expect(await store.readStream(s('absent'))).toEqual([]);
    });

    it('keeps one global order: what a reader saw is never reordered or filled in below later appends', async () => {
      const other = await open();
      const writers = [store, other].map(async (writer, w) => {
        for (let i = 0; i < 60; i++)
          await writer.append(s(`order-${(i + w) % 7}`), [{ type: `W${w}`, data: { i } }], {
            expectedRevision: 'any',
            metadata: meta(),
          });
      });
      const snapshots: string[][] = [];
      let done = false;
      const reader = (async () => {
        while (!done) {
          snapshots.push((await other.readAll({ streamPrefixes: [s('order-')] })).map((e) => e.id));
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      await Promise.all(writers);
      done = true;
      await reader;
      const final = (await store.readAll({ streamPrefixes: [s('order-')] })).map((e) => e.id);
      expect(final).toHaveLength(120);
      expect(snapshots.length).toBeGreaterThan(1);
      for (const seen of snapshots) expect(seen).toEqual(final.slice(0, seen.length));
    });

    it("carries a tenant's Merkle log: signed heads verify, the log only grows, a tampered event is found", async () => {
      const key = generateSigningKey();
      const keys = trustedKeys([key.publicKey]);
      const tenantId = 'tenant-a';
      await store.append(
        s('chain'),
        [
          { type: 'A', data: { v: 1 } },
          { type: 'B', data: { v: 2 } },
          { type: 'C', data: { v: 3 } },
        ],
        { expectedRevision: 'no-stream', metadata: meta() },
      );
      await store.append(s('other'), [{ type: 'D', data: { v: 4 } }], {
        expectedRevision: 'any',
        metadata: meta(),
      });
      const log = async () => store.readAll({ streamPrefixes: [ns] });
      const treeOf = (events: RecordedEvent[]) => new MemoryTree(events.map((e) => fromHex(leafHashOf(e))));
      const first = await log();
      const head = signTreeHead(
        {
          tenantId,
          treeSize: first.length,
          rootHash: toHex(rootOf(treeOf(first))),
          timestamp: clock.now().toISOString(),
        },
        key,
      );
      await store.append(s('audit'), [{ type: TREE_HEAD_SIGNED, data: { ...head, previousTreeSize: 0 } }], {
        expectedRevision: 'any',
        metadata: meta(),
      });
      await store.append(s('other'), [{ type: 'E', data: { v: 5 } }], {
        expectedRevision: 'any',
        metadata: meta(),
      });
      const grown = await log();
      const tree = treeOf(grown);
      expect(
        verifyConsistency(
          head.treeSize,
          grown.length,
          fromHex(head.rootHash),
          rootOf(tree),
          consistencyProof(tree, head.treeSize, grown.length),
        ),
      ).toBe(true);
      if (store.readAllLeaves) {
        // What the Merkle trees read: the leaf of every event written with the log is its stored hash.
        const leaves = await store.readAllLeaves({ streamPrefixes: [ns] });
        expect(leaves.map((e) => [e.position, e.hash, e.hashRule])).toEqual(
          grown.map((e) => [e.position, leafHashOf(e), undefined]),
        );
      }
      expect(verifyLog(grown, { tenantId, keys })).toMatchObject({
        valid: true,
        checkedEvents: 6,
        heads: { checked: 1, latestVerified: head },
      });

      const [, victim] = await store.readStream(s('chain'));
      const changed = await harness.tamper(store, victim);
      const result = verifyLog(await log(), { tenantId, keys });
      expect(result.valid).toBe(false);
      expect(result.firstInvalid).toMatchObject({ seq: changed, located: 'exact' });
    });
  });
}
