import type { CloudModel } from './model/cloud-model';
import type { SimClock } from './model/sim-clock';

/** What one engine process (a worker) says of itself, as often as it changes and at least once a second. */
export interface ParticipantReport {
  /** It is working (a step calling the cloud or recording, a dispatch, queued steps it could take). */
  busy: boolean;
  /** Cloud operations its steps wait for (they wait for simulated time). */
  waitingOn: string[];
  /** Its next machine timer (an RTO projection, a scheduled start), simulated ms; null if none. */
  nextTimerAt: number | null;
  /** A person is awaited (a confirmation, a sign-off): their deadline is on wall time, no skipping. */
  awaitingPerson: boolean;
}

interface Participant extends ParticipantReport {
  expiresAtWall: number;
}

export interface SkipOutcome {
  /** Operations of `waitingOn` that are over (the participant reacts to them at once). */
  completed: string[];
  /** How many jumps this report allowed, and how far (simulated ms). */
  jumps: number;
  skippedMs: number;
}

const MAX_JUMPS = 10_000;

/**
 * The time-skipping clock (`SIM_TIME_MODE=skip`), after Temporal's time-skipping test server: the
 * simulated clock stands still while any engine process works, and when every one of them only waits
 * for simulated time it jumps to the next due event, the next operation completion in the model or
 * the earliest engine timer. A makespan then depends on the schedule alone, not on how fast the
 * machine is. While a person is awaited, or when no process takes part (none reported, or their
 * reports expired: a process that died), the clock runs at its scale as in `scaled` mode.
 *
 * A participant is working when it says so, when an operation it waits for is over (it has yet to
 * react), or when its timer is due. Jumps happen only when a participant reports that it went idle,
 * so a jump never overtakes the reaction of the only worker to the previous one.
 */
export class TimeSkipper {
  private readonly participants = new Map<string, Participant>();
  readonly stats = { reports: 0, jumps: 0, skippedMs: 0 };

  constructor(
    private readonly clock: SimClock,
    private readonly model: () => CloudModel,
    private readonly wallNow: () => number,
  ) {}

  report(id: string, report: ParticipantReport, leaseMs: number): SkipOutcome {
    this.stats.reports++;
    this.participants.set(id, { ...report, expiresAtWall: this.wallNow() + leaseMs });
    const outcome = this.evaluate(true);
    const over = new Set(this.overOperations(report.waitingOn));
    return { ...outcome, completed: report.waitingOn.filter((op) => over.has(op)) };
  }

  /** A participant that stops says so (a stopping worker); the others go on. */
  leave(id: string): void {
    this.participants.delete(id);
    this.evaluate(false);
  }

  /** Drops expired participants and sets the clock's pace; jumps only when `mayJump` (a report). */
  evaluate(mayJump = false): Omit<SkipOutcome, 'completed'> {
    const wall = this.wallNow();
    for (const [id, p] of this.participants) if (p.expiresAtWall <= wall) this.participants.delete(id);
    const participants = [...this.participants.values()];
    if (participants.length === 0 || participants.some((p) => p.awaitingPerson)) {
      this.clock.resume();
      return { jumps: 0, skippedMs: 0 };
    }
    if (participants.some((p) => this.working(p))) {
      this.clock.pause();
      return { jumps: 0, skippedMs: 0 };
    }
    if (!mayJump) return { jumps: 0, skippedMs: 0 };
    this.clock.pause();
    let jumps = 0;
    const from = this.clock.nowMs();
    while (jumps < MAX_JUMPS) {
      const now = this.clock.nowMs();
      const timers = participants.map((p) => p.nextTimerAt).filter((t): t is number => t !== null && t > now);
      const candidates = [this.model().nextCompletionAt(now), ...timers].filter(
        (t): t is number => t !== undefined && t > now,
      );
      if (candidates.length === 0) {
        // Nothing will ever happen by itself: the clock runs at its scale until someone acts.
        this.clock.resume();
        break;
      }
      const target = Math.min(...candidates);
      this.clock.set({ atMs: target });
      this.model().advanceTo(target);
      jumps++;
      if (participants.some((p) => this.working(p))) break;
    }
    const skippedMs = this.clock.nowMs() - from;
    this.stats.jumps += jumps;
    this.stats.skippedMs += skippedMs;
    return { jumps, skippedMs };
  }

  /** Participants taking part now, for `GET /sim/v1/clock/participants`. */
  list(): Array<ParticipantReport & { id: string; working: boolean }> {
    return [...this.participants].map(([id, p]) => ({
      id,
      busy: p.busy,
      waitingOn: p.waitingOn,
      nextTimerAt: p.nextTimerAt,
      awaitingPerson: p.awaitingPerson,
      working: this.working(p),
    }));
  }

  private working(p: ParticipantReport): boolean {
    if (p.busy) return true;
    if (p.nextTimerAt !== null && p.nextTimerAt <= this.clock.nowMs()) return true;
    return this.overOperations(p.waitingOn).length > 0;
  }

  private overOperations(ids: string[]): string[] {
    const now = this.clock.nowMs();
    return ids.filter((id) => {
      const op = this.model().getOperation(id, now);
      return !op || op.status === 'succeeded' || op.status === 'failed';
    });
  }
}
