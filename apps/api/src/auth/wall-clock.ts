/**
 * Sign-in runs on real time, even with CLOCK=simulated: authenticator apps (TOTP), browsers
 * (cookies) and invitation e-mails all live on it. A Clock port instance (SystemClock), so that
 * tests may replace it.
 */
export const WALL_CLOCK = Symbol('WALL_CLOCK');
