import Redis from 'ioredis';
import { deleteQueueKeys, testQueuePrefix } from '../../../test/support/redis-keys';
import { PartitionLeases, partitionOf, winnerOf, PARTITIONS, type LeaseChange } from './partition-leases';

/** Leases on the real local Redis: short leases so that expiry is observable in a test. */
describe('PartitionLeases (real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  const all: PartitionLeases[] = [];

  const member = (memberId: string, leaseMs = 600, renewMs = 150) => {
    const leases = new PartitionLeases({ redis, prefix, memberId, leaseMs, renewMs, partitions: 16 });
    all.push(leases);
    return leases;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function expectDisjointCover(members: PartitionLeases[]) {
    const held = members.flatMap((m) => m.snapshot().held);
    expect(new Set(held).size).toBe(held.length);
    expect([...held].sort((a, b) => a - b)).toEqual([...Array(16).keys()]);
  }

  beforeEach(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    prefix = `${testQueuePrefix('leases')}:dispatch`;
  });

  afterEach(async () => {
    await Promise.all(all.splice(0).map((m) => m.stop()));
    redis.disconnect();
    await deleteQueueKeys(prefix.split(':')[0]);
  });

  it('partitions and winners are stable functions of their inputs', () => {
    expect(partitionOf('tenant/a/activation/1')).toBe(partitionOf('tenant/a/activation/1'));
    const spread = new Set(Array.from({ length: 500 }, (_, i) => partitionOf(`tenant/a/activation/${i}`)));
    expect(spread.size).toBeGreaterThan(PARTITIONS * 0.9);
    expect(winnerOf(3, ['a', 'b', 'c'])).toBe(winnerOf(3, ['c', 'a', 'b']));
    expect(winnerOf(3, [])).toBeNull();
  });

  it('one member holds every partition; a second joins and they share them, never both holding one', async () => {
    const a = member('worker-a');
    await a.start();
    expect(a.snapshot().held).toHaveLength(16);

    const b = member('worker-b');
    await b.start();
    // b sees both members and takes what is free of its share (nothing yet: a holds it all).
    for (let i = 0; i < 4; i++) {
      await a.renew();
      await b.renew();
      const held = [...a.snapshot().held, ...b.snapshot().held];
      expect(new Set(held).size).toBe(held.length);
    }
    expectDisjointCover([a, b]);
    expect(a.snapshot().held.length).toBeGreaterThan(0);
    expect(b.snapshot().held.length).toBeGreaterThan(0);
    expect(a.snapshot().members.sort()).toEqual(['worker-a', 'worker-b']);
  });

  it('a member that dies without a word: its partitions pass to the survivor only once its lease expired', async () => {
    const survivor = member('worker-s');
    await survivor.start();
    const dying = member('worker-d');
    // No timer: it renews by hand, then stops renewing (a SIGKILL).
    for (let i = 0; i < 3; i++) {
      await dying.renew();
      await survivor.renew();
    }
    const lostWith = dying.snapshot().held;
    expect(lostWith.length).toBeGreaterThan(0);
    const diedAt = Date.now();
    await survivor.renew();
    expect(survivor.snapshot().held).not.toEqual(expect.arrayContaining(lostWith));
    for (;;) {
      await sleep(50);
      const held = survivor.snapshot().held;
      if (lostWith.every((p) => held.includes(p))) break;
      if (Date.now() - diedAt > 3000) throw new Error(`the survivor holds ${held} after 3 s`);
    }
    const tookOverAfter = Date.now() - diedAt;
    expect(tookOverAfter).toBeGreaterThanOrEqual(400);
    expect(survivor.snapshot().held).toHaveLength(16);
  });

  it('a clean stop hands its partitions over at the next round', async () => {
    const a = member('worker-a', 5000, 1000);
    const b = member('worker-b', 5000, 1000);
    await a.renew();
    await b.renew();
    await a.renew();
    await b.renew();
    expectDisjointCover([a, b]);
    await b.stop();
    await a.renew();
    expect(a.snapshot().held).toHaveLength(16);
    expect(a.snapshot().members).toEqual(['worker-a']);
  });

  it('reports what it gained and lost', async () => {
    const changes: LeaseChange[] = [];
    const a = member('worker-a', 5000, 1000);
    a.onChange((change) => changes.push(change));
    await a.renew();
    expect(changes).toEqual([{ gained: [...Array(16).keys()], lost: [] }]);
    const b = member('worker-b', 5000, 1000);
    await b.renew();
    await a.renew();
    const released = changes[1].lost;
    expect(released.length).toBeGreaterThan(0);
    expect(released.every((p) => winnerOf(p, ['worker-a', 'worker-b']) === 'worker-b')).toBe(true);
  });
});
