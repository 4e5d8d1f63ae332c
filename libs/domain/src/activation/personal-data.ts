import type { PersonalDataDeclaration } from '../shared/personal-data';

/** Requesters, confirmers and the authorised persons a code went to. */
export const activationPersonalData: PersonalDataDeclaration = {
  ActivationRequested: { persons: ['requestedBy'], emails: ['steps[].assignee'] },
  ConfirmationRequested: { persons: ['requestedBy'], emails: ['recipients[]', 'codes[].email'] },
  ConfirmationAttemptFailed: { emails: ['email'] },
  ActivationConfirmed: { persons: ['by'] },
  AlertEscalated: { persons: ['by'], emails: ['steps[].assignee'] },
  AlertStoodDown: { persons: ['by'] },
  ActivationAborted: { persons: ['by'] },
  ServerRetryRequested: { persons: ['by'] },
  CloseRequested: { persons: ['by'] },
  FailbackRequested: { persons: ['by'] },
  RunbookStepSucceeded: { persons: ['by'] },
  RunbookStepFailed: { persons: ['by'] },
  RunbookStepRetryRequested: { persons: ['by'] },
  FailbackConfirmed: { persons: ['by'] },
  FailbackAborted: { persons: ['by'] },
  ScopeWideningRequested: {
    persons: ['by', 'confirmation.requestedBy'],
    emails: ['confirmation.recipients[]', 'confirmation.codes[].email', 'steps[].assignee'],
  },
  ScopeWideningConfirmed: { persons: ['by'] },
  EmergencyOverrideRequested: {
    persons: ['by', 'confirmation.requestedBy'],
    emails: ['confirmation.recipients[]', 'confirmation.codes[].email'],
  },
  EmergencyOverrideConfirmed: { persons: ['by'] },
  /** A claim carries the activation events its completion records (see scope-claims.ts). */
  ScopeClaimed: {
    persons: ['events[].data.requestedBy', 'events[].data.by', 'events[].data.confirmation.requestedBy'],
    emails: [
      'events[].data.recipients[]',
      'events[].data.codes[].email',
      'events[].data.confirmation.recipients[]',
      'events[].data.confirmation.codes[].email',
      'events[].data.steps[].assignee',
    ],
  },
};
