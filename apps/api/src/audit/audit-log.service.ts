import { Inject, Injectable } from '@nestjs/common';
import { leafHashOf, ruleOf, type HashRule } from '@reprise/audit-log/leaf';
import { readLogPages } from '@reprise/audit-log/log-source';
import { AUDIT_TREES, type MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { fromHex, toHex, verifyInclusion } from '@reprise/audit-log/merkle';
import { readSinkHeads } from '@reprise/audit-log/head-sink';
import { headSignatureProblem, publicKeyPem, type TreeHead } from '@reprise/audit-log/tree-head';
import {
  TREE_HEAD_SIGNED,
  verifyLogPages,
  type LogProblem,
  type LogVerification,
  type TreeHeadSignedData,
} from '@reprise/audit-log/verify-log';
import { AUDIT_KEYS, treeHeadSinkDir, type AuditKeys } from '@reprise/common/config/audit-keys';
import { Environment } from '@reprise/common/config/environment';
import { conflict, notFound, validationError } from '@reprise/domain/shared/errors';
import { streams, tenantLogPrefixes } from '@reprise/domain/shared/streams';
import { RAW_EVENT_STORE, type EventStore, type RecordedEvent } from '@reprise/event-store/event-store.port';

/** A signed tree head with where its event is in the store. */
export interface RecordedTreeHead {
  head: TreeHead;
  /** Global position of the `TreeHeadSigned` event. */
  seq: number;
  previousTreeSize: number;
}

export interface AuditVerification {
  valid: boolean;
  checkedEvents: number;
  firstInvalidSeq?: number;
  reason?: string;
  // extras
  /** `exact`: the event named is the one changed; `between-heads`: somewhere in `range`. */
  located?: LogProblem['located'];
  stream?: string;
  revision?: number;
  leafIndex?: number;
  range?: LogProblem['range'];
  problems: LogProblem[];
  heads: { checked: number; latestVerified: TreeHead | null };
  /** Events after the latest verified head, not yet under a signature. */
  unsignedEvents: number;
  /** How many events were hashed under each rule (`reprise-chain/0`, `reprise-migrated/0`: written before the log). */
  hashRules: Record<string, number>;
}

export interface InclusionProofView {
  seq: number;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  // extras
  rootHash: string;
  treeHead: TreeHead;
  /** The rule the event was hashed under; `reprise-chain/0` and `reprise-migrated/0` mean written before the log. */
  hashRule: HashRule;
  hashRuleNote: string;
  /** The proof checked here, against the signed root (RFC 9162 §2.1.3.2). */
  verified: boolean;
}

export const HASH_RULE_NOTES: Record<HashRule, string> = {
  'reprise-leaf/1': 'hashed into the log when it was written',
  'reprise-migrated/0':
    'written before the transparency log; its per-stream chain was verified, its personal data encrypted, and it was hashed into the log once by the migration (see the AuditLogMigrated event)',
  'reprise-chain/0':
    'written before the transparency log and not migrated: its stored hash is the old per-stream chain, its leaf is computed from its content',
};

export function toVerification(result: LogVerification): AuditVerification {
  const first = result.firstInvalid;
  return {
    valid: result.valid,
    checkedEvents: result.checkedEvents,
    ...(first
      ? {
          ...(first.seq !== null ? { firstInvalidSeq: first.seq } : {}),
          reason: first.reason,
          located: first.located,
          ...(first.stream !== undefined ? { stream: first.stream, revision: first.revision } : {}),
          leafIndex: first.leafIndex,
          ...(first.range ? { range: first.range } : {}),
        }
      : {}),
    problems: result.problems,
    heads: result.heads,
    unsignedEvents: result.unsignedEvents,
    hashRules: result.rules,
  };
}

const PROJECTION_WAIT_MS = 10_000;

/**
 * The tenant's transparency log as the auditor sees it: signed tree heads (recorded in the tenant's
 * audit stream, and kept outside it in the file sink), RFC 9162 inclusion and consistency proofs from
 * the API's Merkle read model, and a full recomputation of the log from the stored events.
 */
@Injectable()
export class AuditLogService {
  private readonly sinkDir: string;

  constructor(
    @Inject(RAW_EVENT_STORE) private readonly raw: EventStore,
    @Inject(AUDIT_TREES) private readonly merkle: MerkleTrees,
    @Inject(AUDIT_KEYS) private readonly keys: AuditKeys,
    env: Environment,
  ) {
    this.sinkDir = treeHeadSinkDir(env);
  }

  private get trees() {
    return this.merkle.store;
  }

  publicKey() {
    return {
      keyId: this.keys.signing.keyId,
      publicKey: publicKeyPem(this.keys.signing.publicKey),
      algorithm: 'Ed25519',
      format: 'spki-pem',
      trustedKeys: [...this.keys.trusted.entries()].map(([keyId, key]) => ({
        keyId,
        publicKey: publicKeyPem(key),
      })),
    };
  }

  /** Every head recorded in the tenant's audit stream, smallest first. */
  async heads(tenantId: string): Promise<RecordedTreeHead[]> {
    const events = await this.raw.readStream(streams.audit(tenantId));
    return events
      .filter((e) => e.type === TREE_HEAD_SIGNED)
      .map((e) => {
        const { previousTreeSize, intervalLeaves: _leaves, ...head } = e.data as TreeHeadSignedData;
        return { head: head as TreeHead, seq: e.position, previousTreeSize };
      })
      .sort((a, b) => a.head.treeSize - b.head.treeSize);
  }

  async latestHead(tenantId: string): Promise<RecordedTreeHead> {
    const heads = await this.heads(tenantId);
    const latest = heads[heads.length - 1];
    if (!latest) throw notFound('tree-head', 'latest');
    return latest;
  }

  /** Waits (bounded) until the Merkle read model holds the events up to `seq`. */
  private async treeReaches(seq: number): Promise<void> {
    if (!(await this.merkle.waitFor(seq, PROJECTION_WAIT_MS)))
      throw conflict('log-catching-up', 'the audit log read model is still catching up; try again shortly');
  }

  async inclusionProof(tenantId: string, seq: number): Promise<InclusionProofView> {
    const latest = await this.latestHead(tenantId);
    if (seq > (await this.raw.headPosition())) throw notFound('event', String(seq));
    await this.treeReaches(Math.max(seq, latest.seq));
    const leaf = this.trees.leafOf(seq);
    if (!leaf || leaf.log !== tenantId) throw notFound('event', String(seq));
    const { head } = latest;
    if (leaf.index >= head.treeSize)
      throw conflict(
        'not-yet-signed',
        `event ${seq} is leaf ${leaf.index}; the latest signed tree head covers ${head.treeSize} events. A head is signed every interval while the log grows: ask again then`,
        { leafIndex: leaf.index, treeSize: head.treeSize },
      );
    const [event] = await this.raw.readAll({
      afterPosition: seq - 1,
      maxCount: 1,
      streamPrefixes: tenantLogPrefixes(tenantId),
    });
    const leafHash =
      event && event.position === seq
        ? leafHashOf(event)
        : toHex(this.trees.leafHash(tenantId, leaf.index) as Buffer);
    const path = this.trees.inclusionProof(tenantId, leaf.index, head.treeSize);
    const rule = event ? ruleOf(event) : 'reprise-leaf/1';
    return {
      seq,
      leafIndex: leaf.index,
      treeSize: head.treeSize,
      leafHash,
      auditPath: path.map(toHex),
      rootHash: head.rootHash,
      treeHead: head,
      hashRule: rule,
      hashRuleNote: HASH_RULE_NOTES[rule],
      verified:
        !headSignatureProblem(head, this.keys.trusted) &&
        verifyInclusion(fromHex(leafHash), leaf.index, head.treeSize, path, fromHex(head.rootHash)),
    };
  }

  /** RFC 9162 consistency proof between the log at two sizes (any sizes up to the log's). */
  async consistencyProof(tenantId: string, from: number, to: number) {
    const size = this.trees.size(tenantId);
    if (to > size)
      throw validationError('beyond-the-log', `the log of this tenant holds ${size} events`, [
        { field: 'to', message: `must be at most ${size}, the size of the log` },
      ]);
    return {
      from,
      to,
      proof: this.trees.consistencyProof(tenantId, from, to).map(toHex),
      fromRootHash: this.trees.rootHex(tenantId, from),
      toRootHash: this.trees.rootHex(tenantId, to),
    };
  }

  /** Recomputes the tenant's whole log from the stored events, against every signed head known. */
  async verify(tenantId: string, extra: TreeHead[] = []): Promise<AuditVerification> {
    const sink = readSinkHeads(this.sinkDir, tenantId);
    const verified = await verifyLogPages(readLogPages(this.raw, tenantLogPrefixes(tenantId)), {
      tenantId,
      keys: this.keys.trusted,
      externalHeads: [...sink.heads.filter((h) => h.tenantId === tenantId), ...extra],
    });
    return toVerification(verified);
  }

  /**
   * Is today's log consistent with a head the auditor kept? Its signature must verify with a trusted
   * key, and the whole log, recomputed, must still give its root at its size (and every other head).
   */
  async verifyAgainst(tenantId: string, kept: TreeHead) {
    const head: TreeHead = { ...kept, tenantId: kept.tenantId ?? tenantId };
    const signature =
      head.tenantId !== tenantId
        ? `this tree head is for tenant ${head.tenantId}, not yours`
        : headSignatureProblem(head, this.keys.trusted);
    const latest = (await this.heads(tenantId)).at(-1)?.head ?? null;
    if (signature)
      return {
        valid: false,
        reason: signature,
        checkedEvents: 0,
        treeSize: head.treeSize,
        latestTreeHead: latest,
      };
    const result = await this.verify(tenantId, [head]);
    const consistency =
      result.valid && latest && latest.treeSize >= head.treeSize
        ? await this.consistencyProof(tenantId, head.treeSize, latest.treeSize).catch(() => null)
        : null;
    return {
      ...result,
      treeSize: head.treeSize,
      latestTreeHead: latest,
      ...(consistency ? { consistencyProof: consistency.proof } : {}),
    };
  }

  /**
   * What a report shows about its activation's events: the latest signed head, the inclusion proof
   * of the activation's last event, and whether every one of its events still matches the log.
   */
  async activationProof(tenantId: string, events: RecordedEvent[]): Promise<ActivationProof> {
    const last = events[events.length - 1];
    const heads = await this.heads(tenantId);
    const latest = heads.at(-1);
    if (!latest)
      return {
        status: 'not-yet-signed',
        treeHead: null,
        lastEvent: null,
        inclusion: null,
        uncoveredEvents: events.length,
      };
    await this.treeReaches(Math.max(last.position, latest.seq));
    const { head } = latest;
    // Problems with the activation's own events first: they say what changed.
    const problems: string[] = [];
    const headProblems: string[] = [];
    const signature = headSignatureProblem(head, this.keys.trusted);
    if (signature) headProblems.push(signature);
    else if (
      this.trees.size(tenantId) < head.treeSize ||
      this.trees.rootHex(tenantId, head.treeSize) !== head.rootHash
    )
      headProblems.push(`the audit log no longer matches the signed tree head of size ${head.treeSize}`);
    let uncovered = 0;
    let expected = 0;
    for (const event of events) {
      const leaf = this.trees.leafOf(event.position);
      if (event.revision !== expected)
        problems.push(`revision ${expected} of the activation is missing or out of order`);
      expected = event.revision + 1;
      if (!leaf || leaf.log !== tenantId) {
        problems.push(`event ${event.position} is not in the tenant's log`);
        continue;
      }
      if (leaf.index >= head.treeSize) uncovered += 1;
      const hash = leafHashOf(event);
      const logged = this.trees.leafHash(tenantId, leaf.index);
      if (!logged || toHex(logged) !== hash)
        problems.push(
          `event ${event.position} (${event.type}) does not match its leaf in the log: it was changed`,
        );
      else if (ruleOf(event) !== 'reprise-chain/0' && event.hash !== hash)
        problems.push(
          `event ${event.position} (${event.type}) does not match the hash recorded when it was written`,
        );
    }
    problems.push(...headProblems);
    const lastLeaf = this.trees.leafOf(last.position);
    let inclusion: ActivationProof['inclusion'] = null;
    if (lastLeaf && lastLeaf.log === tenantId && lastLeaf.index < head.treeSize) {
      const path = this.trees.inclusionProof(tenantId, lastLeaf.index, head.treeSize);
      const leafHash = leafHashOf(last);
      inclusion = {
        leafIndex: lastLeaf.index,
        leafHash,
        auditPath: path.map(toHex),
        verified: verifyInclusion(
          fromHex(leafHash),
          lastLeaf.index,
          head.treeSize,
          path,
          fromHex(head.rootHash),
        ),
      };
      if (!inclusion.verified && !problems.length)
        problems.push('the inclusion proof of the last event does not verify');
    }
    return {
      status: problems.length ? 'invalid' : uncovered ? 'partly-signed' : 'verified',
      ...(problems.length ? { problem: problems[0], problems: problems.slice(0, 20) } : {}),
      treeHead: head,
      lastEvent: { seq: last.position, type: last.type, hashRule: ruleOf(last) },
      inclusion,
      uncoveredEvents: uncovered,
    };
  }
}

export interface ActivationProof {
  /** `verified`: every event matches the signed log; `partly-signed`: the newest events await the next head. */
  status: 'verified' | 'partly-signed' | 'not-yet-signed' | 'invalid';
  problem?: string;
  problems?: string[];
  treeHead: TreeHead | null;
  lastEvent: { seq: number; type: string; hashRule: HashRule } | null;
  inclusion: { leafIndex: number; leafHash: string; auditPath: string[]; verified: boolean } | null;
  /** Events of the activation recorded after the latest signed head. */
  uncoveredEvents: number;
}
