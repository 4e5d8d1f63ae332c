/** `disks` + `0` → `disks[0]`; `os` + `family` → `os.family`: how every error names a field. */
export function fieldPath(parent: string, key: string): string {
  if (/^\d+$/.test(key)) return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

const MAX_FIELD_LENGTH = 200;

/** A field name as answered: a key of a megabyte is named by its first 200 characters. */
export const shortField = (field: string) =>
  field.length > MAX_FIELD_LENGTH ? `${field.slice(0, MAX_FIELD_LENGTH)}…` : field;
