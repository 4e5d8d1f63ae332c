import type { PersonalDataDeclaration } from '../shared/personal-data';

/** Requesters, confirmers and the authorised persons a code went to. */
export const activationPersonalData: PersonalDataDeclaration = {
  ActivationRequested: { persons: ['requestedBy'], emails: ['steps[].assignee'] },
  ConfirmationRequested: { persons: ['requestedBy'], emails: ['recipients[]', 'codes[].email'] },
  ConfirmationAttemptFailed: { emails: ['email'] },
  ActivationConfirmed: { persons: ['by'] },
  AlertEscalated: { persons: ['by'] },
  AlertStoodDown: { persons: ['by'] },
  ActivationAborted: { persons: ['by'] },
  ServerRetryRequested: { persons: ['by'] },
  CloseRequested: { persons: ['by'] },
  FailbackRequested: { persons: ['by'] },
  RunbookStepSucceeded: { persons: ['by'] },
  RunbookStepFailed: { persons: ['by'] },
  RunbookStepRetryRequested: { persons: ['by'] },
};
