import type { PersonalDataDeclaration } from '../shared/personal-data';

/** The recipients of a confirmation code, as its delivery records them. */
export const notificationPersonalData: PersonalDataDeclaration = {
  NotificationDelivered: { emails: ['recipients[]', 'recipient'] },
  NotificationFailed: { emails: ['recipients[]', 'recipient'] },
};
