/** `disks` + `0` → `disks[0]`; `os` + `family` → `os.family`: how every error names a field. */
export function fieldPath(parent: string, key: string): string {
  if (/^\d+$/.test(key)) return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}
