import type { PersonalDataDeclaration } from '../shared/personal-data';

/** The plan's authorised persons. */
export const planPersonalData: PersonalDataDeclaration = {
  AuthorisedPersonsChanged: { persons: ['persons[]'], emails: ['added[]', 'removed[]'] },
};
