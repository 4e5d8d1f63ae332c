import { teardownRequired } from '@reprise/domain/activation/activation.decider';
import type { Activation, ServerState } from '@reprise/domain/activation/activation.state';
import type { StepKind } from '@reprise/jobs';

export interface WorkItem {
  step: StepKind;
  serverId: string | null;
  attempt: number;
  /** Stable key: BullMQ jobId and the root of every cloud idempotency key of this step. */
  key: string;
}

const EXECUTING = new Set(['running']);
const available = (s: ServerState | undefined) => !!s && (s.phase === 'ok' || s.phase === 'warning');

/**
 * What the worker must have in progress for an activation, from its state alone: steps that are due
 * AND steps that started but have not recorded their outcome (a crashed worker or a flushed Redis
 * lost their jobs; re-enqueuing them with the same key resumes them without repeating side effects).
 * Timers (scheduled start, confirmation expiry) are not jobs: the reconciler checks them on its sweep.
 */
export function workPlan(state: Activation): WorkItem[] {
  const items: WorkItem[] = [];
  const server = (step: StepKind, s: ServerState) =>
    items.push({
      step,
      serverId: s.snapshot.serverId,
      attempt: s.attempt,
      key: `${state.id}.${s.snapshot.serverId}.${step}.${s.attempt}`,
    });
  const byHostname = new Map(state.servers.map((s) => [s.snapshot.hostname, s]));
  const executing = EXECUTING.has(state.status);
  const prestaging = state.status === 'alert';

  for (const s of state.servers) {
    switch (s.phase) {
      case 'pending':
      case 'restoring':
        if (executing || prestaging) server('restore', s);
        break;
      case 'restored':
        if (executing && s.snapshot.dependsOn.every((h) => available(byHostname.get(h)))) server('boot', s);
        break;
      case 'booting':
        if (executing) server('boot', s);
        break;
      case 'checking':
        if (executing) server('analyse', s);
        break;
      default:
        break;
    }
  }
  if (
    executing &&
    state.withNetwork &&
    (state.network.phase === 'pending' || state.network.phase === 'setting-up')
  ) {
    items.push({ step: 'network', serverId: null, attempt: 1, key: `${state.id}.network.1` });
  }
  if (teardownRequired(state)) {
    const attempt = state.teardown.incompleteAttempts + 1;
    items.push({ step: 'teardown', serverId: null, attempt, key: `${state.id}.teardown.${attempt}` });
  }
  if (state.failback && !state.failedBackAt) {
    items.push({ step: 'failback', serverId: null, attempt: 1, key: `${state.id}.failback.1` });
  }
  return items;
}

/** Servers whose boot waits for upstream servers that are not available yet (for progress views). */
export function waitingOnUpstream(state: Activation): string[] {
  const byHostname = new Map(state.servers.map((s) => [s.snapshot.hostname, s]));
  return state.servers
    .filter((s) => s.phase === 'restored' && !s.snapshot.dependsOn.every((h) => available(byHostname.get(h))))
    .map((s) => s.snapshot.hostname);
}
