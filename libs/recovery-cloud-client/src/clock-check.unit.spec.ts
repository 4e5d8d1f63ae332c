import { checkClock } from './clock-check';

const WALL = Date.parse('2026-11-29T12:00:00.000Z');
const answering = (status: number, body?: unknown) =>
  (async () =>
    new Response(body === undefined ? null : JSON.stringify(body), { status })) as unknown as typeof fetch;
const simulator = (scale: number, now = new Date(WALL).toISOString()) =>
  answering(200, { now, scale, anchorWallMs: WALL, anchorSimMs: Date.parse(now) });
const check = (mode: 'system' | 'simulated', answer: typeof fetch) =>
  checkClock(mode, 'http://cloud.test', { fetch: answer, wallNow: () => WALL });

describe('clock check at start-up (engine CLOCK vs the recovery cloud)', () => {
  it('CLOCK=system against the simulator on an accelerated clock: mismatch, saying what to set', async () => {
    const result = await check('system', simulator(600));
    expect(result.verdict).toBe('mismatch');
    expect(result.message).toMatch(/600× real time.*CLOCK=system.*set CLOCK=simulated/);
  });
  it('CLOCK=system against a simulator at scale 1 but on another date: mismatch', async () => {
    const result = await check('system', simulator(1, '2020-02-03T16:00:00.000Z'));
    expect(result).toMatchObject({ verdict: 'mismatch' });
    expect(result.message).toMatch(/behind real time/);
  });
  it('CLOCK=system against a simulator on real time, or a real provider (no simulated clock): consistent', async () => {
    expect((await check('system', simulator(1))).verdict).toBe('consistent');
    expect((await check('system', answering(404))).verdict).toBe('consistent');
  });
  it('CLOCK=simulated: consistent with the simulator, a mismatch against a real provider', async () => {
    expect((await check('simulated', simulator(600))).verdict).toBe('consistent');
    const real = await check('simulated', answering(404));
    expect(real.verdict).toBe('mismatch');
    expect(real.message).toMatch(/set CLOCK=system/);
  });
  it('a cloud that cannot be asked: unknown (warned, not refused, with CLOCK=system)', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:3100') });
    }) as unknown as typeof fetch;
    const result = await check('system', down);
    expect(result.verdict).toBe('unknown');
    expect(result.message).toContain('ECONNREFUSED');
    expect((await check('system', answering(503))).verdict).toBe('unknown');
    expect((await check('system', answering(200, { nothing: true }))).verdict).toBe('unknown');
  });
});
