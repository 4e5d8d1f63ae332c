/**
 * Time is a port. Domain code never reads the wall clock: it receives `now` in commands or
 * event metadata. Adapters (system clock, simulated clock shared with the recovery cloud)
 * implement this interface outside the domain.
 */
export interface Clock {
  now(): Date;
  /**
   * The time on this clock once `wallMs` of real time have passed: how a deadline for a person (a
   * confirmation code, a sign-off) is set, so it is long enough for a human on any clock. On real
   * time it is now + wallMs; on the simulator's clock at 600×, 15 wall minutes are 150 clock hours.
   * The deadline then reaches the domain through the command, as every time does.
   */
  afterWallTime(wallMs: number): Date;
}

export const CLOCK = Symbol('CLOCK');
