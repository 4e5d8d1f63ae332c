import type { Clock } from '@reprise/domain/shared/clock';

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
  afterWallTime(wallMs: number): Date {
    return new Date(Date.now() + wallMs);
  }
}

/** A clock tests can set and move forward. */
export class ManualClock implements Clock {
  constructor(private current: Date = new Date('2026-01-05T09:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  /** A manual clock runs at the pace of whoever moves it: one wall ms is one clock ms. */
  afterWallTime(wallMs: number): Date {
    return new Date(this.current.getTime() + wallMs);
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
