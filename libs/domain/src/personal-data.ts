import { activationPersonalData } from './activation/personal-data';
import { notificationPersonalData } from './notification/personal-data';
import { planPersonalData } from './plan/personal-data';
import type { PersonalDataDeclaration } from './shared/personal-data';

/** Every event field that holds personal data. Each slice adds its declaration here. */
export const PERSONAL_DATA: PersonalDataDeclaration = {
  ...planPersonalData,
  ...activationPersonalData,
  ...notificationPersonalData,
};
