import { fold } from '@reprise/domain/shared/decider';
import { deciderSpecification } from '@reprise/domain/shared/testing/decider-specification';
import type { ActivationCommand } from '../activation.commands';
import { activationDecider } from '../activation.decider';
import type { ActivationEvent } from '../activation.events';
import type { Activation } from '../activation.state';

const specification = deciderSpecification(activationDecider);

/**
 * given(past events).when(command).then(new events) / .thenTypes(...types) / .thenNothing() /
 * .thenThrows(kind, code, details?) for the activation decider (jest).
 */
export function given(events: ActivationEvent[] = []) {
  const spec = specification(events);
  return {
    state: spec.state,
    when(command: ActivationCommand) {
      const then = spec.when(command);
      return {
        ...then,
        /** Checks only the event types, returns the events for further checks. */
        thenTypes(...types: ActivationEvent['type'][]): ActivationEvent[] {
          const actual = activationDecider.decide(command, spec.state);
          expect(actual.map((e) => e.type)).toEqual(types);
          return actual;
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
