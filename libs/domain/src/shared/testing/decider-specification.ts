import { fold, type Decider, type DomainEvent } from '../decider';
import { DomainError, type DomainErrorKind } from '../errors';

/**
 * Given/when/then for any decider (jest): `spec(decider)(past events).when(command)` then
 * `.then(new events)`, `.thenNothing()` or `.thenThrows(kind, code, details?)`.
 */
export function deciderSpecification<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
) {
  return (events: Event[] = []) => {
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
  };
}
