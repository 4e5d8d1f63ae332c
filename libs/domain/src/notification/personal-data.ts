import type { PersonalDataDeclaration } from '../shared/personal-data';

/** The recipients of a confirmation code, as its delivery records them; the assignee a sign-off reminder names. */
export const notificationPersonalData: PersonalDataDeclaration = {
  NotificationRequested: { emails: ['payload.assignee'] },
  NotificationDelivered: { emails: ['recipients[]', 'recipient'] },
  NotificationFailed: { emails: ['recipients[]', 'recipient'] },
};
