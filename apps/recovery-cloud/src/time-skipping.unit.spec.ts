import { CloudModel, type RequestMeta } from './model/cloud-model';
import { defaultSimConfig, mergeConfig } from './model/config';
import { SimClock } from './model/sim-clock';
import { TimeSkipper } from './time-skipping';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MIN = 60_000;
let keys = 0;
const meta = (): RequestMeta => ({ tenantId: 't', idempotencyKey: `k${++keys}`, fingerprint: `k${keys}` });

/** A model, a skip-mode clock at 1× on a wall clock the test moves, and the skipper. */
function setup() {
  let wall = 1_000_000;
  const wallNow = () => wall;
  const clock = new SimClock(1, T0, wallNow, 'skip');
  const model = new CloudModel(
    mergeConfig(defaultSimConfig(), {
      timing: { bootJitterPercent: 0, bootMinutes: { linux: 3, windows: 6 } },
    }),
    42,
    T0,
  );
  const skipper = new TimeSkipper(clock, () => model, wallNow);
  const vm = () => {
    const id = `s${++keys}`;
    model.registerServer(
      meta(),
      {
        serverId: id,
        hostname: `${id}.example`,
        osFamily: 'linux',
        disks: [{ name: 'd0', sizeGiB: 10 }],
        template: { vcpu: 2, ramGiB: 4 },
        recoveryMethod: 'vm-replication',
      },
      clock.nowMs(),
    );
    // A replica's power-on takes 8 simulated minutes (no jitter).
    return model.powerOnReplica(meta(), { activationId: 'a', serverId: id }, clock.nowMs()).operation;
  };
  const idle = { busy: false, waitingOn: [] as string[], nextTimerAt: null, awaitingPerson: false };
  return { clock, model, skipper, vm, idle, moveWall: (ms: number) => (wall += ms) };
}

describe('TimeSkipper (SIM_TIME_MODE=skip)', () => {
  it('jumps to the completion an idle worker waits for, then stands still until it reacts', () => {
    const { clock, skipper, vm, idle, moveWall } = setup();
    const op = vm();
    const outcome = skipper.report('w1', { ...idle, waitingOn: [op.id] }, 5000);
    expect(clock.nowMs()).toBe(T0 + 8 * MIN);
    expect(outcome).toMatchObject({ completed: [op.id], jumps: 1, skippedMs: 8 * MIN });
    // The worker has yet to react: wall time passes, simulated time does not.
    moveWall(3000);
    expect(clock.isRunning).toBe(false);
    expect(clock.nowMs()).toBe(T0 + 8 * MIN);
  });

  it('never jumps past the first completion a worker waits for, whatever else is due later', () => {
    const { clock, model, skipper, vm, idle, moveWall } = setup();
    const first = vm();
    moveWall(60_000); // one wall minute at 1×: the second completes a minute later
    const second = vm();
    skipper.report('w1', { ...idle, waitingOn: [first.id, second.id] }, 5000);
    expect(clock.nowMs()).toBe(T0 + 8 * MIN);
    expect(model.getOperation(second.id, clock.nowMs())?.status).toBe('running');
  });

  it('stands still while a worker works, whatever the load makes it take', () => {
    const { clock, skipper, vm, idle, moveWall } = setup();
    const op = vm();
    skipper.report('w1', { ...idle, busy: true, waitingOn: [op.id] }, 5000);
    const at = clock.nowMs();
    moveWall(10 * 60_000);
    expect(clock.nowMs()).toBe(at);
  });

  it('waits for every worker: one working holds the clock, the last one going idle releases it', () => {
    const { clock, skipper, vm, idle } = setup();
    const op = vm();
    skipper.report('w1', { ...idle, busy: true }, 5000);
    skipper.report('w2', { ...idle, waitingOn: [op.id] }, 5000);
    expect(clock.nowMs()).toBe(T0);
    skipper.report('w1', idle, 5000);
    expect(clock.nowMs()).toBe(T0 + 8 * MIN);
  });

  it('jumps to an engine timer that falls due before any completion', () => {
    const { clock, skipper, vm, idle } = setup();
    const op = vm();
    skipper.report('w1', { ...idle, waitingOn: [op.id], nextTimerAt: T0 + 2 * MIN }, 5000);
    expect(clock.nowMs()).toBe(T0 + 2 * MIN);
  });

  it('runs at its scale while a person is awaited (their deadline is wall time), and when nothing is due', () => {
    const { clock, skipper, vm, idle, moveWall } = setup();
    const op = vm();
    skipper.report('w1', { ...idle, waitingOn: [op.id], awaitingPerson: true }, 5000);
    moveWall(1000);
    expect(clock.nowMs()).toBe(T0 + 1000);
    skipper.report('w1', idle, 60_000);
    // Nothing waited for is left to skip to but the operation: it completes, then the clock runs.
    expect(clock.isRunning).toBe(true);
  });

  it('lets the clock run again when a participant stops reporting (a worker that died)', () => {
    const { clock, skipper, idle, moveWall } = setup();
    skipper.report('w1', { ...idle, busy: true }, 5000);
    expect(clock.isRunning).toBe(false);
    moveWall(6000);
    skipper.evaluate();
    expect(clock.isRunning).toBe(true);
    expect(skipper.list()).toEqual([]);
  });
});
