import type { Completer, Completion, DecisionEvent } from '../completion';
import { Decider, DomainEvent, fold } from '../decider';
import { DomainError, type DomainErrorKind } from '../errors';

/**
 * given(past events).when(command).then(new events) / .thenThrows(kind, code, details?) for any
 * decider (jest), in the manner of Emmett's DeciderSpecification.
 */
export function deciderSpecification<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
) {
  return {
    given(events: Event[] = []) {
      const state = fold(decider, events);
      return {
        state,
        when(command: Command) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: Event[]): Event[] {
              const actual = run();
              expect(actual).toEqual(expected);
              return actual;
            },
            /** Checks only the event types, returns the events for further checks. */
            thenTypes(...types: Event['type'][]): Event[] {
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
    },
  };
}

/** when(recorded event).then(completions) for a completer (a process manager: pure, event → completions). */
export function completerSpecification(completer: Completer) {
  return {
    when(event: DecisionEvent) {
      return {
        then(expected: Completion[]): void {
          expect(completer(event)).toEqual(expected);
        },
        thenNothing(): void {
          expect(completer(event)).toEqual([]);
        },
      };
    },
  };
}
