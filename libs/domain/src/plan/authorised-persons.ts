import { assertNever, Decider, DomainEvent } from '../shared/decider';
import { FieldError, validationError } from '../shared/errors';
import { isEmailAddress } from '../shared/email';

/** A person who may confirm a disaster activation. Personal data: only what is needed. */
export interface AuthorisedPerson {
  name: string;
  email: string;
  phone: string | null;
}

export type AuthorisedPersonsChanged = DomainEvent<
  'AuthorisedPersonsChanged',
  { persons: AuthorisedPerson[]; added: string[]; removed: string[] }
>;
export type PlanEvent = AuthorisedPersonsChanged;
export type PlanCommand = { type: 'SetAuthorisedPersons'; persons: AuthorisedPerson[] };

export interface PlanState {
  authorisedPersons: AuthorisedPerson[];
}

export const MAX_AUTHORISED_PERSONS = 50;
const PHONE = /^\+?[0-9 ().-]{6,32}$/;

export function authorisedPersonErrors(persons: AuthorisedPerson[]): FieldError[] {
  const errors: FieldError[] = [];
  if (persons.length > MAX_AUTHORISED_PERSONS)
    errors.push({ field: 'body', message: `at most ${MAX_AUTHORISED_PERSONS} authorised persons` });
  const seen = new Set<string>();
  persons.forEach((p, i) => {
    if (!p.name || !p.name.trim() || p.name.length > 200)
      errors.push({ field: `[${i}].name`, message: 'must be 1 to 200 characters' });
    if (!isEmailAddress(p.email))
      errors.push({ field: `[${i}].email`, message: 'must be an e-mail address' });
    else if (seen.has(p.email.toLowerCase()))
      errors.push({ field: `[${i}].email`, message: `duplicate e-mail ${p.email}` });
    if (p.email) seen.add(p.email.toLowerCase());
    if (p.phone !== null && p.phone !== undefined && !PHONE.test(p.phone))
      errors.push({ field: `[${i}].phone`, message: 'must be a phone number such as +33 1 23 45 67 89' });
  });
  return errors;
}

export const planDecider: Decider<PlanCommand, PlanState, PlanEvent> = {
  initialState: () => ({ authorisedPersons: [] }),
  decide(command, state) {
    switch (command.type) {
      case 'SetAuthorisedPersons': {
        const errors = authorisedPersonErrors(command.persons);
        if (errors.length)
          throw validationError('invalid-authorised-persons', 'the authorised persons are invalid', errors);
        const persons = command.persons.map((p) => ({
          name: p.name.trim(),
          email: p.email.toLowerCase(),
          phone: p.phone ?? null,
        }));
        if (JSON.stringify(persons) === JSON.stringify(state.authorisedPersons)) return [];
        const before = new Set(state.authorisedPersons.map((p) => p.email));
        const after = new Set(persons.map((p) => p.email));
        return [
          {
            type: 'AuthorisedPersonsChanged',
            data: {
              persons,
              added: [...after].filter((e) => !before.has(e)),
              removed: [...before].filter((e) => !after.has(e)),
            },
          },
        ];
      }
      default:
        return assertNever(command.type);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'AuthorisedPersonsChanged':
        return { authorisedPersons: event.data.persons };
      default:
        return assertNever(event.type);
    }
  },
};
