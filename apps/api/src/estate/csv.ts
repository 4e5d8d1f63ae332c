import { validationError } from '@reprise/domain/shared/errors';

/** RFC 4180 CSV (quotes, doubled quotes, CRLF) → rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
      continue;
    }
    if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      if (row.some((v) => v !== '')) rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (quoted)
    throw validationError('malformed-csv', 'unterminated quoted field in CSV', [
      { field: 'body', message: 'unterminated quoted field' },
    ]);
  row.push(cell);
  if (row.some((v) => v !== '')) rows.push(row);
  return rows;
}

export const CSV_COLUMNS = [
  'hostname',
  'kind',
  'platform',
  'osFamily',
  'osName',
  'osVersion',
  'backupMode',
  'vcpu',
  'ramGiB',
  'disks',
  'protectionClass',
  'dependsOn',
  'rtoMinutes',
  'rpoMinutes',
  'recoveryMethod',
  'applications',
] as const;

const REQUIRED = [
  'hostname',
  'kind',
  'platform',
  'osFamily',
  'osName',
  'osVersion',
  'backupMode',
  'vcpu',
  'ramGiB',
  'disks',
  'protectionClass',
];

const num = (v: string) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
const list = (v: string) =>
  v
    .split(/[;|]/)
    .map((s) => s.trim())
    .filter(Boolean);
const pairs = (v: string, key: string, valueKey: string, asNumber: boolean) =>
  list(v).map((item) => {
    const at = item.lastIndexOf(':');
    const k = at === -1 ? item : item.slice(0, at);
    const value = at === -1 ? '' : item.slice(at + 1);
    return { [key]: k, [valueKey]: asNumber ? num(value) : value };
  });

/**
 * Inventory CSV → the same row objects as the JSON import. Header row names the columns
 * (CSV_COLUMNS; order free). `disks` = `name:sizeGiB;...`, `dependsOn` = `host;host`,
 * `applications` = `kind:version;...`.
 */
export function csvToRows(text: string): unknown[] {
  const cells = parseCsv(text);
  if (cells.length === 0)
    throw validationError('empty-import', 'the CSV has no header row', [
      { field: 'body', message: 'empty CSV' },
    ]);
  const header = cells[0].map((h) => h.trim());
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  const missing = REQUIRED.filter((h) => !header.includes(h));
  if (unknown.length || missing.length)
    throw validationError('invalid-csv-header', 'the CSV header is invalid', [
      ...unknown.map((h) => ({ field: `header.${h}`, message: 'is not a known column' })),
      ...missing.map((h) => ({ field: `header.${h}`, message: 'column is required' })),
    ]);
  return cells.slice(1).map((values) => {
    const c: Record<string, string> = {};
    header.forEach((h, i) => (c[h] = (values[i] ?? '').trim()));
    const row: Record<string, unknown> = {
      hostname: c.hostname,
      kind: c.kind,
      platform: c.platform,
      os: { family: c.osFamily, name: c.osName, version: c.osVersion },
      backupMode: c.backupMode,
      template: { vcpu: num(c.vcpu), ramGiB: num(c.ramGiB) },
      disks: pairs(c.disks ?? '', 'name', 'sizeGiB', true),
      protectionClass: c.protectionClass,
    };
    if (c.dependsOn) row.dependsOn = list(c.dependsOn);
    if (c.rtoMinutes) row.rtoMinutes = num(c.rtoMinutes);
    if (c.rpoMinutes) row.rpoMinutes = num(c.rpoMinutes);
    if (c.recoveryMethod) row.recoveryMethod = c.recoveryMethod;
    if (c.applications) row.applications = pairs(c.applications, 'kind', 'version', false);
    return row;
  });
}
