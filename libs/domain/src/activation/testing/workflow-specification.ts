import { fold } from '@reprise/domain/shared/decider';
import { activationDecider } from '../activation.decider';
import type { ActivationEvent } from '../activation.events';
import type { ActivationState } from '../activation.state';
import {
  DEFAULT_WORKFLOW_SETTINGS,
  whatIsDue,
  type DueStep,
  type Timer,
  type WhatIsDue,
  type WorkflowSettings,
} from '../activation.workflow';

/** What a workflow specification expects; each part is checked only when given. */
export interface DueExpectation {
  /** `kind:hostname` for a server's step, `kind` for the activation's, in the workflow's order. */
  steps?: string[];
  /** `kind@at` or `kind:hostname@at`. */
  timers?: string[];
  nextTimerAt?: string | null;
  finished?: boolean;
}

/**
 * given(past events).when(now).then(what is due) for the activation workflow (jest), as
 * `given-when-then.ts` does for the decider. Steps and timers are compared in a readable summary;
 * `then` returns the full answer for further checks (keys, attempts, projected minutes).
 */
export function workflowSpecification(settings: WorkflowSettings = DEFAULT_WORKFLOW_SETTINGS) {
  return {
    given(events: ActivationEvent[]) {
      const state: ActivationState = fold(activationDecider, events);
      return {
        state,
        when(now: string) {
          const due = whatIsDue(state, now, settings);
          return {
            then(expected: DueExpectation): WhatIsDue {
              const actual: DueExpectation = {};
              if (expected.steps) actual.steps = due.steps.map((s) => summariseStep(state, s));
              if (expected.timers) actual.timers = due.timers.map((t) => summariseTimer(state, t));
              if (expected.nextTimerAt !== undefined) actual.nextTimerAt = due.nextTimerAt;
              if (expected.finished !== undefined) actual.finished = due.finished;
              expect(actual).toEqual(expected);
              return due;
            },
            thenNothingDue(): WhatIsDue {
              expect({ steps: due.steps, timers: due.timers }).toEqual({ steps: [], timers: [] });
              return due;
            },
          };
        },
      };
    },
  };
}

const hostname = (state: ActivationState, serverId: string | null): string | null =>
  state.exists && serverId !== null
    ? (state.servers[state.index[serverId]]?.snapshot.hostname ?? null)
    : null;

const summariseStep = (state: ActivationState, step: DueStep): string => {
  if (step.step !== undefined) return `${step.kind}:${step.step}`;
  const host = hostname(state, step.serverId);
  return host ? `${step.kind}:${host}` : step.kind;
};

const summariseTimer = (state: ActivationState, timer: Timer): string => {
  const host = hostname(state, timer.kind === 'rto-breach' ? timer.serverId : null);
  const step = timer.kind === 'step-timeout' || timer.kind === 'step-reminder' ? timer.step : null;
  return `${timer.kind}${host ? `:${host}` : ''}${step ? `:${step}` : ''}@${timer.at}`;
};
