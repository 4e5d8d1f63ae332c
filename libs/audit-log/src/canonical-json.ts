import { configure } from 'safe-stable-stringify';

// Strict: anything that is not plain JSON (BigInt, functions, NaN, cycles) is an error, never coerced.
const stringify = configure({ strict: true, deterministic: true });

/**
 * Canonical JSON: keys sorted (UTF-16 code unit order), no whitespace, JSON.stringify's escaping.
 * Every hash and signature in Reprise is over this form, so it does not depend on how a store
 * re-serialises what it was given.
 */
export function canonicalJson(value: unknown): string {
  return stringify(value) ?? 'null';
}
