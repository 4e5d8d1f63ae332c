import type { PersonalDataDeclaration } from '../shared/personal-data';

/** The plan's authorised persons, and the assignees of its manual runbook steps. */
export const planPersonalData: PersonalDataDeclaration = {
  AuthorisedPersonsChanged: { persons: ['persons[]'], emails: ['added[]', 'removed[]'] },
  RunbookChanged: { emails: ['steps[].assignee'] },
};
