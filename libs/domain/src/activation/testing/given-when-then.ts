import { fold } from '@reprise/domain/shared/decider';
import { deciderSpecification } from '@reprise/domain/shared/testing/specification';
import type { ActivationCommand } from '../activation.commands';
import { activationDecider } from '../activation.decider';
import type { ActivationEvent } from '../activation.events';
import type { Activation } from '../activation.state';

/**
 * given(past events).when(command).then(new events) / .thenTypes(...) / .thenThrows(kind, code,
 * details?) for the activation decider (jest).
 */
export const { given } = deciderSpecification(activationDecider);

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
