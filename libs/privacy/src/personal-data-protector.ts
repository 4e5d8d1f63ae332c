import { ERASED, PERSON_FIELDS, type PersonalDataDeclaration } from '@reprise/domain/shared/personal-data';
import { isEnvelope, seal, subjectOf, unseal } from './envelope';
import type { SubjectKeys } from './subject-keys';

interface Slot {
  get(): unknown;
  set(value: unknown): void;
}

/** The values a path selects in `root` (see PersonalDataPaths), as slots that can be rewritten. */
function slots(root: unknown, path: string): Slot[] {
  let current: Slot[] = [{ get: () => root, set: () => undefined }];
  for (const part of path ? path.split('.') : []) {
    const each = part.endsWith('[]');
    const name = each ? part.slice(0, -2) : part;
    const next: Slot[] = [];
    for (const slot of current) {
      const holder = slot.get();
      if (!holder || typeof holder !== 'object' || Array.isArray(holder)) continue;
      const record = holder as Record<string, unknown>;
      if (!each) {
        next.push({ get: () => record[name], set: (v) => (record[name] = v) });
        continue;
      }
      const list = record[name];
      if (!Array.isArray(list)) continue;
      list.forEach((_, i) => next.push({ get: () => list[i], set: (v) => (list[i] = v) }));
    }
    current = next;
  }
  return current;
}

const isPlain = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value !== ERASED && !isEnvelope(value);

/**
 * Encrypts the personal fields an event type declares, each under its person's key, and reveals
 * stored envelopes again (or `erased` when the key was destroyed). Works on copies: what a caller
 * passes in is never changed.
 */
export class PersonalDataProtector {
  constructor(
    private readonly keys: SubjectKeys,
    private readonly declaration: PersonalDataDeclaration,
  ) {}

  /** Crypto-shredding: destroys a subject's key (idempotent); false when it was already gone. */
  destroyKey(subjectId: string): Promise<boolean> {
    return this.keys.destroy(subjectId);
  }

  declares(type: string): boolean {
    return type in this.declaration;
  }

  /** The event's data with its declared personal fields sealed (already sealed or erased ones stay). */
  async protect<Data>(tenantId: string, type: string, data: Data): Promise<Data> {
    const paths = this.declaration[type];
    if (!paths || data === null || typeof data !== 'object') return data;
    const copy = structuredClone(data);
    const keyOfEmail = async (email: unknown): Promise<{ subjectId: string; key: Buffer } | null> => {
      const sealedSubject = subjectOf(email);
      if (sealedSubject) {
        const key = (await this.keys.keys([sealedSubject])).get(sealedSubject);
        return key ? { subjectId: sealedSubject, key } : null;
      }
      return isPlain(email) ? this.keys.subjectFor(tenantId, email) : null;
    };
    for (const path of paths.persons ?? []) {
      for (const slot of slots(copy, path)) {
        const person = slot.get();
        if (!person || typeof person !== 'object' || Array.isArray(person)) continue;
        const record = person as Record<string, unknown>;
        const subject = await keyOfEmail(record.email);
        for (const field of PERSON_FIELDS) {
          if (!isPlain(record[field])) continue;
          record[field] = subject ? seal(subject.subjectId, subject.key, record[field] as string) : ERASED;
        }
      }
    }
    for (const path of paths.emails ?? []) {
      for (const slot of slots(copy, path)) {
        const email = slot.get();
        if (!isPlain(email)) continue;
        const subject = await keyOfEmail(email);
        slot.set(subject ? seal(subject.subjectId, subject.key, email) : ERASED);
      }
    }
    return copy;
  }

  /** `value` with every envelope in it replaced by its plaintext, or `erased` when the key is gone. */
  async reveal<T>(value: T): Promise<T> {
    const subjects = new Set<string>();
    collect(value, subjects);
    if (subjects.size === 0) return value;
    const keys = await this.keys.keys(subjects);
    return replace(value, (envelope) => {
      const key = keys.get(subjectOf(envelope) as string);
      return (key && unseal(envelope, key)) ?? ERASED;
    }) as T;
  }

  /** The envelopes of one subject in `value`, each with its path and plaintext. */
  async disclose(value: unknown, subjectId: string): Promise<{ path: string; value: string }[]> {
    const key = (await this.keys.keys([subjectId])).get(subjectId);
    if (!key) return [];
    const out: { path: string; value: string }[] = [];
    walk(value, '', (envelope, path) => {
      if (subjectOf(envelope) !== subjectId) return;
      const plain = unseal(envelope, key);
      if (plain !== null) out.push({ path, value: plain });
    });
    return out;
  }
}

function walk(value: unknown, path: string, visit: (envelope: string, path: string) => void): void {
  if (typeof value === 'string') {
    if (isEnvelope(value)) visit(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, visit);
  }
}

function collect(value: unknown, into: Set<string>): void {
  walk(value, '', (envelope) => into.add(subjectOf(envelope) as string));
}

/** A copy of `value` with each envelope replaced. */
function replace(value: unknown, open: (envelope: string) => string): unknown {
  if (typeof value === 'string') return isEnvelope(value) ? open(value) : value;
  if (Array.isArray(value)) return value.map((v) => replace(v, open));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replace(v, open);
    return Object.setPrototypeOf(out, Object.getPrototypeOf(value));
  }
  return value;
}
