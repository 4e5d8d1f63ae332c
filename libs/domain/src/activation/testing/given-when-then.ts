import { fold } from '@reprise/domain/shared/decider';
import { DomainError, type DomainErrorKind } from '@reprise/domain/shared/errors';
import type { ActivationCommand } from '../activation.commands';
import { activationDecider } from '../activation.decider';
import type { ActivationEvent } from '../activation.events';
import type { Activation, ActivationState } from '../activation.state';

/**
 * given(past events).when(command).then(new events) / .thenThrows(kind, code, details?) for the
 * activation decider (jest).
 */
export function given(events: ActivationEvent[] = []) {
  const state: ActivationState = fold(activationDecider, events);
  return {
    state,
    when(command: ActivationCommand) {
      const run = () => activationDecider.decide(command, state);
      return {
        then(expected: ActivationEvent[]): ActivationEvent[] {
          const actual = run();
          expect(actual).toEqual(expected);
          return actual;
        },
        /** Checks only the event types, returns the events for further checks. */
        thenTypes(...types: ActivationEvent['type'][]): ActivationEvent[] {
          const actual = run();
          expect(actual.map((e) => e.type)).toEqual(types);
          return actual;
        },
        thenNothing(): void {
          expect(run()).toEqual([]);
        },
        thenThrows(kind: DomainErrorKind, code: string, details?: Record<string, unknown>): DomainError {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(DomainError);
          const domainError = error as DomainError;
          expect({ kind: domainError.kind, code: domainError.code }).toEqual({ kind, code });
          if (details) expect(domainError.details).toMatchObject(details);
          return domainError;
        },
      };
    },
  };
}

/** Runs commands one after the other from `events`, returning every event recorded (in order). */
export function play(events: ActivationEvent[], commands: ActivationCommand[]): ActivationEvent[] {
  const all = [...events];
  let state = fold(activationDecider, all);
  for (const command of commands) {
    const out = activationDecider.decide(command, state);
    for (const e of out) state = activationDecider.evolve(state, e);
    all.push(...out);
  }
  return all;
}

export const stateOf = (events: ActivationEvent[]): Activation => {
  const state = fold(activationDecider, events);
  if (!state.exists) throw new Error('no activation in these events');
  return state;
};
