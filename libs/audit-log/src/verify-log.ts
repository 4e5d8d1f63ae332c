import { canonicalJson } from './canonical-json';
import {
  leafHashOfParts,
  LEGACY_CHAIN_RULE,
  GENESIS_HASH,
  ruleOf,
  storedEventProblem,
  type CanonicalLogEntry,
  type LogEntry,
} from './leaf';
import { CompactRange, HASH_SIZE, toHex, type Hash } from './merkle';
import { headSignatureProblem, type TreeHead, type TrustedKeys } from './tree-head';

/** The event a signed tree head is recorded as, in the tenant's audit stream. */
export const TREE_HEAD_SIGNED = 'TreeHeadSigned';

export interface TreeHeadSignedData extends TreeHead {
  /** Size of the previous head of this log (0 for the first). */
  previousTreeSize: number;
  /** The leaf hashes from `previousTreeSize` to `treeSize`, concatenated, base64 (when the interval is small). */
  intervalLeaves?: string;
}

/** Where a problem is: one event exactly, or somewhere between two signed heads. */
export interface LogProblem {
  leafIndex: number;
  /** The event's global position (the auditor's `seq`); null past the end of the log. */
  seq: number | null;
  stream?: string;
  revision?: number;
  reason: string;
  located: 'exact' | 'between-heads';
  /** For `between-heads`: the leaves (and seqs) the change lies in. */
  range?: { fromLeaf: number; toLeaf: number; fromSeq: number | null; toSeq: number | null };
}

export interface LogVerification {
  valid: boolean;
  checkedEvents: number;
  firstInvalid?: LogProblem;
  /** Every problem found, first ones first (at most 50). */
  problems: LogProblem[];
  heads: {
    checked: number;
    /** The largest head whose signature and root both verify. */
    latestVerified: TreeHead | null;
    /** Each head checked, smallest first: whether the log still gives it (signature and root). */
    results: { treeSize: number; rootHash: string; valid: boolean; reason?: string }[];
  };
  /** Events after the latest verified head: not under any signature yet. */
  unsignedEvents: number;
  /** Events hashed under each rule. */
  rules: Record<string, number>;
}

export interface VerifyLogOptions {
  tenantId: string;
  keys: TrustedKeys;
  /** Heads known from outside the store (a file sink, an auditor's copy). */
  externalHeads?: TreeHead[];
}

interface StreamState {
  revision: number;
  storedHash: string;
  /** Where the stream's name is in `streamNames` (leaves keep this number, not the name). */
  ordinal: number;
}

interface HeadRecord {
  head: TreeHeadSignedData | TreeHead;
  /** Leaf index of the head's own event, when it came from the log. */
  leafIndex: number | null;
}

const MAX_PROBLEMS = 50;

/**
 * Recomputes a tenant's log from its events in global order and checks it against every signed
 * tree head. Two kinds of evidence, both reported with where they point:
 * - per event, exact: the hash recorded at append time against the content (under the event's
 *   rule), the stream's revisions (a gap or a step back is a removed or reordered event), the
 *   event's tenant;
 * - per signed head: the signature (trusted keys only: a head signed with another key proves
 *   nothing) and the Merkle root of the first `treeSize` leaves. A mismatch means a change that
 *   recomputed the hashes, or a removed, inserted or reordered event: it is located between the last
 *   head that still verifies and this one, and exactly when the head's own list of interval leaves
 *   can be authenticated against its signed root.
 * Feed events with `add` (in global order), then call `finish`.
 */
export class LogVerifier {
  private leaves = Buffer.alloc(HASH_SIZE * 1024);
  private seqs = new Float64Array(1024);
  private count = 0;
  private readonly streams = new Map<string, StreamState>();
  private readonly headRecords: HeadRecord[] = [];
  private readonly problems: LogProblem[] = [];
  /**
   * Problems that name a changed, moved or removed event (from its own content or place, or from a
   * head's interval leaves): they explain a head that no longer matches.
   */
  private readonly eventProblems = new Set<LogProblem>();
  private readonly rules: Record<string, number> = {};
  private readonly streamNames: string[] = [];
  private lastStream: string | null = null;
  private lastState: StreamState | undefined;
  private streamAt = new Int32Array(1024);
  private revisions = new Float64Array(1024);

  private readonly tenantNeedle: string;

  constructor(private readonly options: VerifyLogOptions) {
    this.tenantNeedle = `"tenantId":${JSON.stringify(options.tenantId)}`;
  }

  add(entry: LogEntry | CanonicalLogEntry): void {
    const canonical = 'dataJson' in entry;
    const dataJson = canonical ? entry.dataJson : canonicalJson(entry.data ?? {});
    const metadataJson = canonical ? entry.metadataJson : canonicalJson(entry.metadata);
    const index = this.count;
    const rule = ruleOf(entry);
    this.rules[rule] = (this.rules[rule] ?? 0) + 1;
    const leaf = leafHashOfParts(
      rule,
      entry.id,
      entry.stream,
      entry.revision,
      entry.type,
      dataJson,
      metadataJson,
    );
    // Neighbouring events mostly share their stream: compare with the last one before a lookup.
    let state = entry.stream === this.lastStream ? this.lastState : this.streams.get(entry.stream);
    this.push(leaf, entry.position, state?.ordinal ?? this.streamNames.length, entry.revision);

    const stored = storedEventProblem(entry, leaf, { dataJson, metadataJson }, state);
    if (stored) this.eventProblem(index, entry, stored);
    else if (!canonical || !metadataJson.includes(this.tenantNeedle)) {
      // Canonical metadata names its tenant as this exact text: parse only when it does not.
      const metadata = canonical ? (JSON.parse(metadataJson) as { tenantId?: string }) : entry.metadata;
      if (metadata.tenantId !== this.options.tenantId)
        this.eventProblem(
          index,
          entry,
          `the event belongs to tenant ${String(metadata.tenantId)}, not to ${this.options.tenantId} (moved between tenants)`,
        );
    }
    if (!state) {
      state = {
        revision: entry.revision,
        storedHash: rule === LEGACY_CHAIN_RULE ? entry.hash : GENESIS_HASH,
        ordinal: this.streamNames.length,
      };
      this.streams.set(entry.stream, state);
      this.streamNames.push(entry.stream);
    } else {
      if (entry.revision > state.revision) state.revision = entry.revision;
      if (rule === LEGACY_CHAIN_RULE) state.storedHash = entry.hash;
    }
    this.lastStream = entry.stream;
    this.lastState = state;

    if (entry.type === TREE_HEAD_SIGNED) {
      const data = (canonical ? JSON.parse(dataJson) : entry.data) as TreeHeadSignedData;
      this.headRecords.push({ head: data, leafIndex: index });
    }
  }

  /** A problem that names removed events (it explains heads that no longer match around it). */
  private reportEvent(problem: LogProblem): void {
    this.eventProblems.add(problem);
    this.report(problem);
  }

  private eventProblem(
    index: number,
    entry: { position: number; stream: string; revision: number },
    reason: string,
  ) {
    const found: LogProblem = {
      leafIndex: index,
      seq: entry.position,
      stream: entry.stream,
      revision: entry.revision,
      reason,
      located: 'exact',
    };
    this.eventProblems.add(found);
    this.report(found);
  }

  private push(leafHex: string, seq: number, streamOrdinal: number, revision: number): void {
    if ((this.count + 1) * HASH_SIZE > this.leaves.length) {
      const bigger = Buffer.alloc(this.leaves.length * 2);
      this.leaves.copy(bigger);
      this.leaves = bigger;
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.seqs = grow(this.seqs);
      this.revisions = grow(this.revisions);
      this.streamAt = grow(this.streamAt);
    }
    this.leaves.write(leafHex, this.count * HASH_SIZE, 'hex');
    this.seqs[this.count] = seq;
    this.revisions[this.count] = revision;
    this.streamAt[this.count] = streamOrdinal;
    this.count += 1;
  }

  /** The event at a leaf: its seq, stream and revision (nothing past the end of the log). */
  private at(index: number): Pick<LogProblem, 'seq' | 'stream' | 'revision'> {
    if (index < 0 || index >= this.count) return { seq: null };
    return {
      seq: this.seqs[index],
      stream: this.streamNames[this.streamAt[index]],
      revision: this.revisions[index],
    };
  }

  private leaf(index: number): Hash {
    return this.leaves.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  private seqOf(index: number): number | null {
    return index >= 0 && index < this.count ? this.seqs[index] : null;
  }

  private report(problem: LogProblem): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }

  finish(): LogVerification {
    const heads = this.collectHeads();
    // One pass over the leaves, snapshotting the compact range at every head size.
    const sizes = [
      ...new Set(
        heads
          .flatMap((h) => [h.head.treeSize, (h.head as Partial<TreeHeadSignedData>).previousTreeSize ?? 0])
          .filter((s) => Number.isSafeInteger(s) && s >= 0 && s <= this.count),
      ),
    ].sort((a, b) => a - b);
    const snapshots = new Map<number, CompactRange>([[0, new CompactRange()]]);
    const range = new CompactRange();
    let next = 0;
    for (const size of sizes) {
      while (next < size) range.append(this.leaf(next++));
      snapshots.set(size, range.clone());
    }

    let latestVerified: TreeHead | null = null;
    let lastGood = 0;
    let checked = 0;
    const results: LogVerification['heads']['results'] = [];
    for (const record of heads) {
      const head = record.head;
      checked += 1;
      const before = this.problems.length;
      this.checkHead(record, snapshots, lastGood);
      const problem = this.problems.length > before ? this.problems[this.problems.length - 1] : null;
      results.push({
        treeSize: head.treeSize,
        rootHash: head.rootHash,
        valid: !problem,
        ...(problem ? { reason: problem.reason } : {}),
      });
      if (!problem && head.treeSize >= lastGood) {
        lastGood = head.treeSize;
        latestVerified = stripHead(head);
      }
    }
    // A head that no longer matches because of a change already found exactly in its range says
    // nothing more: keep the exact finding.
    const exact = this.problems.filter((p) => this.eventProblems.has(p));
    const problems = this.problems
      .filter(
        (p) =>
          p.located === 'exact' ||
          !exact.some((e) => p.range && e.leafIndex >= p.range.fromLeaf && e.leafIndex < p.range.toLeaf),
      )
      .sort((a, b) => a.leafIndex - b.leafIndex);
    return {
      valid: problems.length === 0,
      checkedEvents: this.count,
      ...(problems.length ? { firstInvalid: problems[0] } : {}),
      problems,
      heads: { checked, latestVerified, results },
      unsignedEvents: this.count - (latestVerified?.treeSize ?? 0),
      rules: this.rules,
    };
  }

  /** Checks one head; reports its problem (at most one). */
  private checkHead(record: HeadRecord, snapshots: Map<number, CompactRange>, lastGood: number): void {
    const head = record.head;
    const signatureProblem =
      head.tenantId !== this.options.tenantId
        ? `tree head of size ${head.treeSize} is for tenant ${head.tenantId}`
        : headSignatureProblem(head, this.options.keys);
    if (signatureProblem) {
      const at = record.leafIndex ?? Math.min(head.treeSize, this.count);
      this.report({
        leafIndex: at,
        ...this.at(at),
        reason: signatureProblem,
        located: 'exact',
      });
      return;
    }
    if (head.treeSize > this.count) {
      // Events removed under the head show in its interval leaves; otherwise the log was cut short.
      const located = this.locateMismatch(record, lastGood, snapshots);
      if (located.located === 'exact' && located.leafIndex < this.count) {
        this.eventProblems.add(located);
        this.report(located);
        return;
      }
      this.reportEvent({
        leafIndex: this.count,
        seq: null,
        reason: `the log holds ${this.count} events but a signed tree head covers ${head.treeSize}: events ${this.count} to ${head.treeSize - 1} are missing (the log was truncated)`,
        located: 'exact',
      });
      return;
    }
    const root = (snapshots.get(head.treeSize) as CompactRange).root();
    if (toHex(root) !== head.rootHash) {
      const located = this.locateMismatch(record, lastGood, snapshots);
      if (located.located === 'exact') this.eventProblems.add(located);
      this.report(located);
      return;
    }
    if (record.leafIndex !== null && record.leafIndex < head.treeSize) {
      this.report({
        leafIndex: record.leafIndex,
        ...this.at(record.leafIndex),
        reason: `the tree head of size ${head.treeSize} is recorded at leaf ${record.leafIndex}: events before it were removed`,
        located: 'exact',
      });
      return;
    }
  }

  /** Heads from the log and from outside, one per (size, root, signature), smallest first. */
  private collectHeads(): HeadRecord[] {
    const byKey = new Map<string, HeadRecord>();
    for (const record of this.headRecords) {
      const key = `${record.head.treeSize}:${record.head.rootHash}:${record.head.signature}`;
      if (!byKey.has(key)) byKey.set(key, record);
    }
    for (const head of this.options.externalHeads ?? []) {
      const key = `${head.treeSize}:${head.rootHash}:${head.signature}`;
      if (!byKey.has(key)) {
        byKey.set(key, { head, leafIndex: null });
        const recorded = this.headRecords.some((r) => r.head.treeSize === head.treeSize);
        if (
          !recorded &&
          head.treeSize <= this.count &&
          !headSignatureProblem(head, this.options.keys) &&
          head.tenantId === this.options.tenantId
        )
          this.report({
            leafIndex: head.treeSize,
            ...this.at(head.treeSize),
            reason: `the signed tree head of size ${head.treeSize} kept outside the store is not recorded in the log (its event was removed)`,
            located: 'between-heads',
            // Its event was somewhere after the leaves it covers.
            range: this.rangeOf(head.treeSize, this.count + 1),
          });
      }
    }
    return [...byKey.values()].sort((a, b) => a.head.treeSize - b.head.treeSize);
  }

  private signedIndexes: Map<string, number> | null = null;
  private currentIndexes: Map<string, number> | null = null;

  /** Where each leaf was signed, from every head's interval leaves (built once, when needed). */
  private signedIndex(): Map<string, number> {
    if (!this.signedIndexes) {
      this.signedIndexes = new Map();
      for (const { head } of this.headRecords) {
        const h = head as Partial<TreeHeadSignedData>;
        if (!h.intervalLeaves || h.previousTreeSize === undefined) continue;
        const list = Buffer.from(h.intervalLeaves, 'base64');
        for (let j = 0; j * HASH_SIZE < list.length; j++)
          this.signedIndexes.set(
            toHex(list.subarray(j * HASH_SIZE, (j + 1) * HASH_SIZE)),
            h.previousTreeSize + j,
          );
      }
    }
    return this.signedIndexes;
  }

  /** Where each leaf is now. */
  private currentIndex(): Map<string, number> {
    if (!this.currentIndexes) {
      this.currentIndexes = new Map();
      for (let j = 0; j < this.count; j++) this.currentIndexes.set(toHex(this.leaf(j)), j);
    }
    return this.currentIndexes;
  }

  /** What became of the event signed at leaf `i`, which the log no longer has there. */
  private difference(i: number, original: Hash, shrunk: boolean): string {
    if (i >= this.count) return `the event signed at leaf ${i} is missing (removed)`;
    const signedAt = this.signedIndex().get(toHex(this.leaf(i)));
    const nowAt = this.currentIndex().get(toHex(original));
    if (signedAt === i + 1 && nowAt === i + 1)
      return `the events at leaves ${i} and ${i + 1} were swapped (reordered)`;
    if (nowAt === undefined)
      return (signedAt !== undefined && signedAt > i) || shrunk
        ? `the event signed at leaf ${i} (leaf hash ${toHex(original)}) was removed`
        : `the event at leaf ${i} was changed and its hashes recomputed (signed leaf hash ${toHex(original)})`;
    if (nowAt > i)
      return signedAt !== undefined
        ? `the event now at leaf ${i} was signed at leaf ${signedAt} (events reordered)`
        : `an event was inserted at leaf ${i}`;
    return `the event at leaf ${i} was changed and its hashes recomputed (signed leaf hash ${toHex(original)})`;
  }

  private rangeOf(fromLeaf: number, toLeaf: number): NonNullable<LogProblem['range']> {
    return {
      fromLeaf,
      toLeaf,
      fromSeq: this.seqOf(fromLeaf),
      toSeq: this.seqOf(Math.min(toLeaf, this.count) - 1),
    };
  }

  /**
   * A signed root that no longer matches: everything up to the last good head is intact, so the
   * change is in between. The head's own interval leaves, once they reproduce its signed root from
   * the intact prefix, say exactly which leaf differs.
   */
  private locateMismatch(
    record: HeadRecord,
    lastGood: number,
    snapshots: Map<number, CompactRange>,
  ): LogProblem {
    const head = record.head as TreeHeadSignedData;
    const from = head.previousTreeSize;
    const list = head.intervalLeaves ? Buffer.from(head.intervalLeaves, 'base64') : null;
    const base = snapshots.get(from);
    if (list && base && list.length === (head.treeSize - from) * HASH_SIZE) {
      const original = (i: number) => list.subarray((i - from) * HASH_SIZE, (i - from + 1) * HASH_SIZE);
      const check = base.clone();
      for (let i = from; i < head.treeSize; i++) check.append(original(i));
      if (toHex(check.root()) === head.rootHash) {
        for (let i = from; i < head.treeSize; i++) {
          if (i < this.count && this.leaf(i).equals(original(i))) continue;
          return {
            leafIndex: i,
            ...this.at(i),
            reason: `${this.difference(i, original(i), record.leafIndex !== null && record.leafIndex < head.treeSize)}; the signed tree head of size ${head.treeSize} no longer matches`,
            located: 'exact',
          };
        }
      }
    }
    return {
      leafIndex: lastGood,
      seq: this.seqOf(lastGood),
      reason: `the signed tree head of size ${head.treeSize} does not match the log: an event among leaves ${lastGood} to ${head.treeSize - 1} was changed (hashes recomputed), removed, inserted or reordered`,
      located: 'between-heads',
      range: this.rangeOf(lastGood, head.treeSize),
    };
  }
}

function stripHead(head: TreeHead): TreeHead {
  return {
    tenantId: head.tenantId,
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
    keyId: head.keyId,
    signature: head.signature,
  };
}

/** Verifies a whole list of events (in global order) at once. */
export function verifyLog(
  entries: Iterable<LogEntry | CanonicalLogEntry>,
  options: VerifyLogOptions,
): LogVerification {
  const verifier = new LogVerifier(options);
  for (const entry of entries) verifier.add(entry);
  return verifier.finish();
}

/** Verifies a log read page by page (readLogPages), as GET /audit/verify does. */
export async function verifyLogPages(
  pages: AsyncIterable<Array<LogEntry | CanonicalLogEntry>>,
  options: VerifyLogOptions,
): Promise<LogVerification> {
  const verifier = new LogVerifier(options);
  for await (const page of pages) for (const entry of page) verifier.add(entry);
  return verifier.finish();
}
