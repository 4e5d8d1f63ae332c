/**
 * Time is a port. Domain code never reads the wall clock: it receives `now` in commands or
 * event metadata. Adapters (system clock, simulated clock shared with the recovery cloud)
 * implement this interface outside the domain.
 */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');
