import { setAuthorisedPersons, BRUNO, CLAIRE, waitUntil } from '../activations/activation-helpers';
import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';
import { WorkerProcesses } from '../support/worker-process';
import { confirmFailback, disasterCompleted, ESTATE, failbackStats } from './failback-helpers';

interface FailbackView {
  status: string;
  failback: { servers: Array<{ hostname: string; phase: string; copiedAt: string | null }> } | null;
}

/**
 * Crash safety of the failback with real processes: the worker (the built app, spawned) is
 * SIGKILLed during the reverse sync, then during the cut-over; a new worker completes the failback,
 * every changed byte arrives, no byte is sent twice in a final delta, no server starts twice.
 */
describe('failback crash safety (real worker process, real Redis)', () => {
  let stack: Stack;
  let workers: WorkerProcesses;

  beforeAll(async () => {
    // Reverse replication at 100 MiB/s and slow starts at the original site: each phase lasts a few
    // wall seconds at 600x, long enough to kill the worker in the middle of it.
    stack = await startStack({
      timeScale: 600,
      worker: 'none',
      cloudConfig: {
        failback: { reverseBandwidthMiBps: 100, originalStartMinutes: 10, stopServerMinutes: 2 },
      },
    });
    workers = new WorkerProcesses(() => stack.env);
  }, 60_000);

  afterAll(async () => {
    await workers?.killAll();
    await stack?.close();
  });

  async function failingBack() {
    const t = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    await enrol(stack.api, t.manager, ESTATE);
    await setAuthorisedPersons(stack, t.manager, [CLAIRE, BRUNO]);
    const id = await disasterCompleted(stack, t.manager);
    await confirmFailback(stack, t.manager, id);
    const view = async () =>
      (await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200))
        .body as FailbackView;
    return { t, id, view };
  }

  const phasesOf = (v: FailbackView) => v.failback?.servers.map((x) => x.phase) ?? [];

  async function completesSafely(t: { manager: string }, id: string) {
    await waitForStatus(stack.api, t.manager, id, ['failed-back'], 120_000);
    const stats = await failbackStats(stack, id);
    expect(stats).toHaveLength(ESTATE.length);
    for (const x of stats) {
      expect({
        host: x.hostname,
        pending: x.pendingBytes,
        arrivedAll: x.arrivedBytes === x.changedBytes,
        resent: x.resentBytes,
        finalDeltas: x.finalDeltaRequests,
        starts: x.originalStarts,
        duplicateStarts: x.duplicateOriginalStarts,
      }).toEqual({
        host: x.hostname,
        pending: 0,
        arrivedAll: true,
        resent: 0,
        finalDeltas: 1,
        starts: 1,
        duplicateStarts: 0,
      });
    }
  }

  it('SIGKILL of the worker during the reverse sync: a new worker completes the failback', async () => {
    const first = await workers.start();
    const { t, id, view } = await failingBack();
    const mid = await waitUntil(
      async () => {
        const v = await view();
        const p = phasesOf(v);
        // Small servers copied back, the large ones' initial copy still in flight, no stop yet.
        const servers = v.failback?.servers ?? [];
        const copied = servers.filter((x) => x.copiedAt !== null).length;
        const copying = servers.filter((x) => x.phase === 'syncing' && x.copiedAt === null).length;
        return copied >= 2 && copying >= 1 && !p.includes('stopping') && v;
      },
      'servers syncing back',
      30_000,
      25,
    );
    await workers.kill(first);
    expect(mid.status).toBe('failing-back');
    await workers.start();
    await completesSafely(t, id);
  }, 240_000);

  it('SIGKILL of the worker during the cut-over: a new worker completes it, no final delta twice, no server started twice', async () => {
    const current = [...workers.running][0] ?? (await workers.start());
    const { t, id, view } = await failingBack();
    const mid = await waitUntil(
      async () => {
        const v = await view();
        const p = phasesOf(v);
        const cutting = p.filter((x) => ['stopping', 'stopped', 'final-synced', 'back'].includes(x)).length;
        return cutting >= 3 && p.some((x) => x !== 'back') && v;
      },
      'the cut-over under way',
      60_000,
      25,
    );
    await workers.kill(current);
    expect(mid.status).toBe('failing-back');
    await workers.start();
    await completesSafely(t, id);
  }, 240_000);
});
