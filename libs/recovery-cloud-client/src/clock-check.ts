import type { ClockAnchors } from './types';

export type ClockMode = 'system' | 'simulated';

export interface ClockCheck {
  /** `consistent`: the engine and the cloud share one clock; `mismatch`: they do not; `unknown`: not checked. */
  verdict: 'consistent' | 'mismatch' | 'unknown';
  /** One line saying what was found and, for a mismatch, what to set. */
  message: string;
}

/** Real time and a simulator at scale 1 may differ by this much and still be one clock. */
const TOLERANCE_MS = 60_000;

/**
 * Asks the recovery cloud for its clock (`GET /sim/v1/clock`, which only the simulator serves) and
 * says whether the engine's `CLOCK` setting shares it. With the simulator on an accelerated clock
 * and `CLOCK=system` (or the reverse), every RPO reads 0 and every duration is wrong, silently:
 * the api and the worker refuse to start on a mismatch, and warn when the cloud cannot be asked.
 */
export async function checkClock(
  mode: ClockMode,
  baseUrl: string,
  options: { fetch?: typeof fetch; wallNow?: () => number; timeoutMs?: number } = {},
): Promise<ClockCheck> {
  const url = `${baseUrl.replace(/\/+$/, '')}/sim/v1/clock`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    });
  } catch (error) {
    const reason =
      (error as Error).cause instanceof Error
        ? ((error as Error).cause as Error).message
        : (error as Error).message;
    return {
      verdict: 'unknown',
      message: `could not ask the recovery cloud at ${baseUrl} for its clock (${reason}): CLOCK=${mode} is not checked against it`,
    };
  }
  if (response.status === 404 || response.status === 405) {
    // A real provider has no simulated clock: it runs on real time.
    return mode === 'system'
      ? {
          verdict: 'consistent',
          message: `the recovery cloud at ${baseUrl} runs on real time, as CLOCK=system`,
        }
      : {
          verdict: 'mismatch',
          message: `CLOCK=simulated, but the recovery cloud at ${baseUrl} has no simulated clock (GET /sim/v1/clock answered ${response.status}): set CLOCK=system`,
        };
  }
  if (!response.ok)
    return {
      verdict: 'unknown',
      message: `the recovery cloud at ${baseUrl} answered ${response.status} to GET /sim/v1/clock: CLOCK=${mode} is not checked against it`,
    };
  const anchors = (await response.json().catch(() => null)) as ClockAnchors | null;
  if (!anchors || typeof anchors.scale !== 'number' || typeof anchors.now !== 'string')
    return { verdict: 'unknown', message: `the recovery cloud at ${baseUrl} answered an unreadable clock` };
  if (mode === 'simulated')
    return { verdict: 'consistent', message: `sharing the simulator's clock (${anchors.scale}× real time)` };
  const offsetMs = Date.parse(anchors.now) - (options.wallNow ?? Date.now)();
  if (anchors.scale !== 1)
    return {
      verdict: 'mismatch',
      message: `the recovery cloud at ${baseUrl} is the simulator on an accelerated clock (${anchors.scale}× real time) but CLOCK=system: RPOs would read 0 and durations be wrong; set CLOCK=simulated (as .env.example does) or run the simulator with SIM_TIME_SCALE=1`,
    };
  if (Math.abs(offsetMs) > TOLERANCE_MS)
    return {
      verdict: 'mismatch',
      message: `the simulator at ${baseUrl} shows ${anchors.now}, ${Math.round(Math.abs(offsetMs) / 60_000)} min ${offsetMs > 0 ? 'ahead of' : 'behind'} real time, but CLOCK=system: set CLOCK=simulated`,
    };
  return { verdict: 'consistent', message: `the simulator at ${baseUrl} runs on real time, as CLOCK=system` };
}
