import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/**
 * What a log leaf is: one stored event. Its leaf hash (RFC 9162 §2.1.1: SHA-256(0x00 || entry)) is
 * over the canonical JSON of `{data, id, metadata, revision, rule, stream, type}`, so it covers the
 * stream name, the revision, the type, the data and the metadata, and the rule it was hashed under.
 *
 * Rules, recorded with each event (`hashRule`), bound into the leaf so that relabelling is detected:
 * - `reprise-leaf/1`: written with the log; the stored hash is the leaf hash.
 * - `reprise-migrated/0`: written before the log and migrated in place (personal data encrypted,
 *   per-stream chain checked, then hashed under this rule); the stored hash is the leaf hash.
 * - `reprise-chain/0`: written before the log, not migrated: the stored hash is the old per-stream
 *   chain (sha256 of previous hash, type, data, metadata); the leaf is computed from the content.
 */
export const LEAF_RULE = 'reprise-leaf/1';
export const MIGRATED_RULE = 'reprise-migrated/0';
export const LEGACY_CHAIN_RULE = 'reprise-chain/0';
export const HASH_RULES = [LEAF_RULE, MIGRATED_RULE, LEGACY_CHAIN_RULE] as const;
export type HashRule = (typeof HASH_RULES)[number];

export const GENESIS_HASH = '0'.repeat(64);

/** The parts of a stored event the log is computed from (a RecordedEvent is one). */
export interface LogEntry {
  id: string;
  stream: string;
  revision: number;
  /** Global position in the store: the `seq` auditors see. */
  position: number;
  type: string;
  data: unknown;
  metadata: { tenantId?: string; recordedAt?: string };
  /** The hash recorded at append time (see the rules). */
  hash: string;
  /** Absent means `reprise-leaf/1`. */
  hashRule?: HashRule;
  /** `reprise-chain/0` only: the previous event's hash in the stream. */
  prevHash?: string;
}

/**
 * The same entry with data and metadata as canonical JSON text (a store that keeps that text can
 * hand it over without parsing: the verifier's fast path). Hashes are identical either way.
 */
export interface CanonicalLogEntry extends Omit<LogEntry, 'data' | 'metadata'> {
  dataJson: string;
  metadataJson: string;
}

export const ruleOf = (entry: { hashRule?: HashRule }): HashRule => entry.hashRule ?? LEAF_RULE;

/** Strings JSON.stringify leaves as they are (printable ASCII but `"` and `\`): quoted without a call. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const quote = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
const QUOTED_RULES = new Map(HASH_RULES.map((r) => [r as string, JSON.stringify(r)]));

/** The last string quoted for one field: a log's neighbouring events mostly share stream and type. */
class LastQuoted {
  private raw = '';
  private quoted = '""';

  of(s: string): string {
    if (s !== this.raw) {
      this.quoted = quote(s);
      this.raw = s;
    }
    return this.quoted;
  }
}
const streamQuoted = new LastQuoted();
const typeQuoted = new LastQuoted();

/**
 * The canonical entry text, built from canonical parts (keys in sorted order). Strings are escaped
 * as JSON.stringify escapes them, which is what canonical JSON does (checked by the unit tests).
 * Verification and every append run this: it is one template (a string built in one piece hashes
 * faster than a chain of concatenations, which must be flattened first).
 */
function entryText(
  prefix: string,
  rule: HashRule,
  id: string,
  stream: string,
  revision: number,
  type: string,
  dataJson: string,
  metadataJson: string,
): string {
  if (!Number.isSafeInteger(revision))
    throw new Error(`revision must be an integer, not ${String(revision)}`);
  const quotedRule = QUOTED_RULES.get(rule) ?? JSON.stringify(rule);
  return `${prefix}{"data":${dataJson},"id":${quote(id)},"metadata":${metadataJson},"revision":${revision},"rule":${quotedRule},"stream":${streamQuoted.of(stream)},"type":${typeQuoted.of(type)}}`;
}

export function leafEntryText(
  rule: HashRule,
  id: string,
  stream: string,
  revision: number,
  type: string,
  dataJson: string,
  metadataJson: string,
): string {
  return entryText('', rule, id, stream, revision, type, dataJson, metadataJson);
}

/** RFC 9162 leaf hash (hex) of an event given as canonical parts. */
export function leafHashOfParts(
  rule: HashRule,
  id: string,
  stream: string,
  revision: number,
  type: string,
  dataJson: string,
  metadataJson: string,
): string {
  // U+0000 is the single byte 0x00 in UTF-8: the RFC 9162 leaf prefix.
  return hash('sha256', entryText('\u0000', rule, id, stream, revision, type, dataJson, metadataJson), 'hex');
}

/** RFC 9162 leaf hash (hex) of an event, from its content (never from its stored hash). */
export function leafHashOf(entry: Omit<LogEntry, 'hash' | 'position'>): string {
  return leafHashOfParts(
    ruleOf(entry),
    entry.id,
    entry.stream,
    entry.revision,
    entry.type,
    canonicalJson(entry.data ?? {}),
    canonicalJson(entry.metadata),
  );
}

export function leafHashOfCanonical(entry: CanonicalLogEntry): string {
  return leafHashOfParts(
    ruleOf(entry),
    entry.id,
    entry.stream,
    entry.revision,
    entry.type,
    entry.dataJson,
    entry.metadataJson,
  );
}

/** The pre-log per-stream chain (rule `reprise-chain/0`): sha256(prevHash \n type \n data \n metadata). */
export function legacyChainHash(
  prevHash: string,
  type: string,
  dataJson: string,
  metadataJson: string,
): string {
  return hash('sha256', `${prevHash}\n${type}\n${dataJson}\n${metadataJson}`, 'hex');
}

/**
 * Checks the hash recorded at append time against the content: under the leaf rules the stored
 * hash is the leaf hash; under the chain rule it links to the previous event of the stream.
 * Returns a reason, or null when it matches.
 */
export function storedHashProblem(
  entry: { hashRule?: HashRule; hash: string; prevHash?: string; type: string },
  leafHash: string,
  parts: { dataJson: string; metadataJson: string },
  previousStoredHash: string,
): string | null {
  const rule = ruleOf(entry);
  if (!HASH_RULES.includes(rule)) return `unknown hash rule "${String(rule)}"`;
  if (rule !== LEGACY_CHAIN_RULE)
    return entry.hash === leafHash ? null : 'stored hash does not match the event content (changed)';
  if ((entry.prevHash ?? '') !== previousStoredHash)
    return 'previous-hash link of the pre-log chain is broken (an event was removed or reordered)';
  return legacyChainHash(entry.prevHash ?? '', entry.type, parts.dataJson, parts.metadataJson) === entry.hash
    ? null
    : 'stored hash does not match the event content under the pre-log chain rule (changed)';
}

/**
 * Checks an event against the one before it in its stream (`previous`: that event's revision and,
 * under the pre-log rule, its stored hash): its revision follows, and its stored hash matches its
 * content under its rule. Returns a reason, or null.
 */
export function storedEventProblem(
  entry: {
    stream: string;
    revision: number;
    hashRule?: HashRule;
    hash: string;
    prevHash?: string;
    type: string;
  },
  leafHash: string,
  parts: { dataJson: string; metadataJson: string },
  previous: { revision: number; storedHash: string } | undefined,
): string | null {
  const expected = previous ? previous.revision + 1 : 0;
  if (entry.revision > expected)
    return `revision ${expected} of ${entry.stream} is missing (an event was removed or moved)`;
  if (entry.revision < expected)
    return `revision ${entry.revision} of ${entry.stream} comes after revision ${expected - 1} (events were reordered or duplicated)`;
  return storedHashProblem(entry, leafHash, parts, previous?.storedHash ?? GENESIS_HASH);
}
