/**
 * Personal data (GDPR): which fields of which events hold it, declared by each slice next to its
 * events and gathered in `personal-data.ts`. Infrastructure stores those fields encrypted with a key
 * per person (crypto-shredding): erasing a person destroys the key, and every copy of the fields
 * then reads `ERASED`, while the events (and their hashes) stay as they were.
 *
 * Paths select values in an event's `data`: dot-separated field names, `[]` after a name steps
 * into every element of that array, `''` is the data itself.
 */
export interface PersonalDataPaths {
  /** Person objects: their `name`, `email` and `phone` are personal data of the person their `email` names. */
  persons?: string[];
  /** E-mail addresses, each personal data of the person it names. */
  emails?: string[];
}

/** Event type → where its personal data is. */
export type PersonalDataDeclaration = Readonly<Record<string, PersonalDataPaths>>;

/** What an erased person's name, e-mail or phone reads as, everywhere. */
export const ERASED = 'erased';

/** The fields of a person object that are personal data. */
export const PERSON_FIELDS = ['name', 'email', 'phone'] as const;
