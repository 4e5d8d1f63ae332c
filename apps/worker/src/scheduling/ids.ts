import { createHash } from 'node:crypto';

/**
 * A UUID (version-4 layout) derived from `key`: every process computes the same id for the same
 * thing, so "create it if it does not exist" becomes an append with expected revision `no-stream`
 * (two racing ticks create one activation, one default-cadence schedule).
 */
export function deterministicUuid(key: string): string {
  const h = createHash('sha256').update(key).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
