import {
  evolveActivation,
  initialActivationState,
  toActivationView,
  type ActivationEvent,
  type ActivationServerView,
  type ActivationState,
  type ActivationView,
} from '@reprise/domain/activation';
import { timeline } from '@reprise/domain/report/build-report';
import type { TimelineSegment } from '@reprise/domain/report/report.types';

/** One recorded event as `GET /activations/:id/events` and the SSE stream give it. */
export interface RecordedEventView {
  seq: number;
  type: string;
  at: string;
  data: unknown;
  actor?: string;
}

/**
 * The live view's state: the activation folded from its events with the domain's own `evolve`
 * (the same rules as the engine and `?asOf=`), events applied exactly once and in order. An event
 * that arrives ahead of a missing one waits in `pending` until the gap is filled.
 */
export interface LiveFold {
  state: ActivationState;
  lastSeq: number;
  pending: Map<number, RecordedEventView>;
  /** The events applied, in order (the audit replay and the event log read them). */
  events: RecordedEventView[];
}

export const emptyFold = (): LiveFold => ({
  state: initialActivationState(),
  lastSeq: -1,
  pending: new Map(),
  events: [],
});

/** Applies `incoming` (any order, duplicates allowed) and returns a new fold; the input is not changed. */
export function applyEvents(fold: LiveFold, incoming: readonly RecordedEventView[]): LiveFold {
  const pending = new Map(fold.pending);
  for (const e of incoming) if (e.seq > fold.lastSeq) pending.set(e.seq, e);
  let { state, lastSeq } = fold;
  const events = [...fold.events];
  for (let next = pending.get(lastSeq + 1); next; next = pending.get(lastSeq + 1)) {
    pending.delete(next.seq);
    state = evolveActivation(state, { type: next.type, data: next.data } as ActivationEvent);
    lastSeq = next.seq;
    events.push(next);
  }
  if (state === fold.state && pending.size === fold.pending.size) return fold;
  return { state, lastSeq, pending, events };
}

/** True when events are held back behind a missing one (the page then reloads the whole stream). */
export const hasGap = (fold: LiveFold): boolean => fold.pending.size > 0;

export interface LiveServerRow {
  server: ActivationServerView;
  /** The report's timeline segments (restore, waits, boot, analysis…) in minutes after `origin`; a running one has `endMinutes: null`. */
  segments: TimelineSegment[];
}

export interface LiveProjection {
  view: ActivationView;
  rows: LiveServerRow[];
  /** Time origin of the timeline: the launch, or the request before it. */
  origin: string;
  /** Minutes from `origin` to the last event (where running bars end). */
  nowMinutes: number;
}

/** The view of the folded state: each server's phase, timings and timeline segments. */
export function projectFold(fold: LiveFold): LiveProjection | null {
  const state = fold.state;
  if (!state.exists) return null;
  const view = toActivationView(state);
  if (!view) return null;
  const origin = state.launchedAt ?? state.requestedAt;
  const nowMinutes = Math.max(0, (Date.parse(state.updatedAt) - Date.parse(origin)) / 60_000);
  const rows = state.servers.map((x, i) => ({
    server: view.servers[i],
    segments: timeline(state, x, origin),
  }));
  return { view, rows, origin, nowMinutes };
}

/** Distinct RTO targets of the servers (minutes), each with how many servers share it. */
export function rtoTargets(rows: readonly LiveServerRow[]): Array<{ minutes: number; servers: number }> {
  const counts = new Map<number, number>();
  for (const r of rows)
    if (r.server.rtoMinutes !== null)
      counts.set(r.server.rtoMinutes, (counts.get(r.server.rtoMinutes) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([minutes, servers]) => ({ minutes, servers }));
}
