import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AUDIT_TREES, type MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { writeSinkHead } from '@reprise/audit-log/head-sink';
import { signTreeHead, type TreeHead } from '@reprise/audit-log/tree-head';
import { TREE_HEAD_SIGNED, type TreeHeadSignedData } from '@reprise/audit-log/verify-log';
import { AUDIT_KEYS, treeHeadSinkDir, type AuditKeys } from '@reprise/common/config/audit-keys';
import { Environment } from '@reprise/common/config/environment';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { streams, tenantLogPrefixes, tenantOfStream } from '@reprise/domain/shared/streams';
import {
  isMigratable,
  RAW_EVENT_STORE,
  WrongExpectedVersionError,
  type EventStore,
  type MetadataInput,
  type RecordedEvent,
  type Subscription,
} from '@reprise/event-store/event-store.port';
import { notificationId, NotificationRequests } from '../notifications/notification-requests.service';

/** A head's interval of leaves is at most this long, so its event stays small and exact location cheap. */
export const MAX_HEAD_INTERVAL = 1024;

/** An activation that reached one of these has ended: its history gets a signed head at once. */
const ACTIVATION_ENDS = new Set([
  'ActivationCompleted',
  'ActivationAborted',
  'ActivationClosed',
  'ActivationFailedBack',
  'ActivationRejected',
  'AlertStoodDown',
]);

const SYSTEM: Omit<MetadataInput, 'tenantId' | 'correlationId'> = {
  actor: 'system:audit-log',
  role: 'system',
  causationId: null,
};

/** The audit stream and the deliveries of its heads: growth there alone does not call for a new head. */
const isBookkeeping = (tenantId: string, stream: string) =>
  stream === streams.audit(tenantId) || stream.startsWith(streams.notification(tenantId, 'tree-head.'));

/**
 * Signs the tenants' tree heads and publishes them.
 *
 * - Every AUDIT_TREE_HEAD_INTERVAL_SECONDS, each tenant whose log grew (beyond its own head
 *   bookkeeping) gets a head; at the end of an activation, its tenant gets one covering that event.
 * - A head is appended to the tenant's audit stream with the stream's expected revision: two workers
 *   signing at once cannot both append, and the loser finds the log covered (no duplicate head for a
 *   size). Before signing, the tree must still give the previous head's root: a log rewritten under
 *   a signed head is never signed over (`TreeHeadRefused`, once).
 * - Each `TreeHeadSigned` is then written to the file sink and sent to the tenant's webhook (a
 *   recorded notification) from a durable subscription: a crash in between is resumed, never lost.
 */
@Injectable()
export class TreeHeadSigner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AuditLog');
  private readonly intervalMs: number;
  private readonly sinkDir: string;
  private timer: NodeJS.Timeout | null = null;
  private subscription: Subscription | null = null;
  private readonly running = new Map<string, Promise<void>>();
  private blocked: string | null = null;
  private readonly sinkFailures = new Set<number>();
  private stopped = false;

  constructor(
    @Inject(RAW_EVENT_STORE) private readonly raw: EventStore,
    @Inject(AUDIT_TREES) private readonly trees: MerkleTrees,
    @Inject(AUDIT_KEYS) private readonly keys: AuditKeys,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly notifications: NotificationRequests,
    env: Environment,
  ) {
    this.intervalMs = env.AUDIT_TREE_HEAD_INTERVAL_SECONDS * 1000;
    this.sinkDir = treeHeadSinkDir(env);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (isMigratable(this.raw)) {
      const legacy = await this.raw.legacyEventCount();
      if (legacy > 0) {
        this.blocked = `${legacy} events were written before the transparency log: run \`npm run audit:migrate\` (apps stopped) to bring them under it; no tree head is signed until then`;
        this.logger.error(this.blocked);
      }
    }
    await this.trees.sync();
    this.trees.follow(1000, (error) => this.logger.error(`Merkle trees: ${(error as Error).message}`));
    this.subscription = this.raw.subscribe({
      subscriberId: 'worker-tree-heads',
      streamPrefixes: ['tenant/'],
      handler: (event) => this.onEvent(event),
      onError: (error, event) =>
        this.logger.error(`tree heads at ${event?.position}: ${(error as Error).message}`),
    });
    this.timer = setInterval(() => void this.signAll(), this.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.stop();
    await Promise.allSettled(this.running.values());
    await this.trees.stop();
  }

  private get store() {
    return this.trees.store;
  }

  private async onEvent(event: RecordedEvent): Promise<void> {
    const tenantId = tenantOfStream(event.stream);
    if (!tenantId) return;
    if (event.type === TREE_HEAD_SIGNED) return this.publish(event.data as TreeHeadSignedData);
    if (ACTIVATION_ENDS.has(event.type)) await this.sign(tenantId, event.position);
  }

  /** One signing pass over every tenant's log (the interval timer). */
  async signAll(): Promise<void> {
    if (this.stopped) return;
    await this.trees.sync().catch((error) => this.logger.error(`Merkle trees: ${(error as Error).message}`));
    for (const { log } of this.store.logs()) {
      try {
        await this.sign(log);
      } catch (error) {
        this.logger.error(`signing the tree head of ${log}: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Signs `tenantId`'s log as far as it goes now, when it grew since its last head, or when the
   * event at `cover` (a global position) is not under a head yet. One signing per tenant at a time.
   */
  sign(tenantId: string, cover?: number): Promise<void> {
    const previous = this.running.get(tenantId) ?? Promise.resolve();
    const next = previous.then(() => this.signNow(tenantId, cover));
    const settled = next.catch(() => undefined);
    this.running.set(tenantId, settled);
    void settled.then(() => {
      if (this.running.get(tenantId) === settled) this.running.delete(tenantId);
    });
    return next;
  }

  private async signNow(tenantId: string, cover?: number, attempt = 0): Promise<void> {
    if (this.blocked || this.stopped) return;
    if (cover !== undefined && !(await this.trees.waitFor(cover, 30_000)))
      throw new Error(`the Merkle read model did not reach event ${cover}`);
    const audit = await this.raw.readStream(streams.audit(tenantId));
    const heads = audit.filter((e) => e.type === TREE_HEAD_SIGNED).map((e) => e.data as TreeHeadSignedData);
    const last = heads.reduce<TreeHeadSignedData | null>(
      (a, h) => (!a || h.treeSize > a.treeSize ? h : a),
      null,
    );
    const signed = last?.treeSize ?? 0;
    if (cover === undefined) await this.trees.sync();
    const size = this.store.size(tenantId);
    if (size <= signed) return;
    if (cover !== undefined) {
      const leaf = this.store.leafOf(cover);
      if (!leaf || leaf.index < signed) return;
    } else if (!(await this.grewSince(tenantId, signed))) return;

    if (last && this.store.rootHex(tenantId, last.treeSize) !== last.rootHash) {
      const lastEvent = audit[audit.length - 1];
      if (
        lastEvent?.type === 'TreeHeadRefused' &&
        (lastEvent.data as { previousTreeSize: number }).previousTreeSize === signed
      )
        return;
      const reason = `the log no longer gives the root signed at size ${signed}: it was rewritten under a signed head (run GET /audit/verify); no head is signed over it`;
      this.logger.error(`${tenantId}: ${reason}`);
      await this.raw
        .append(
          streams.audit(tenantId),
          [
            {
              type: 'TreeHeadRefused',
              data: { treeSize: size, previousTreeSize: signed, reason, at: this.now() },
            },
          ],
          {
            expectedRevision: audit.length - 1,
            metadata: { ...SYSTEM, tenantId, correlationId: `tree-head.${size}` },
          },
        )
        .catch((error) => {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
        });
      return;
    }

    const timestamp = this.now();
    const events = [];
    for (let from = signed; from < size;) {
      const to = Math.min(from + MAX_HEAD_INTERVAL, size);
      const head = signTreeHead(
        { tenantId, treeSize: to, rootHash: this.store.rootHex(tenantId, to), timestamp },
        this.keys.signing,
      );
      const data: TreeHeadSignedData = {
        ...head,
        previousTreeSize: from,
        intervalLeaves: this.store.leafHashes(tenantId, from, to).toString('base64'),
      };
      events.push({ type: TREE_HEAD_SIGNED, data });
      from = to;
    }
    try {
      await this.raw.append(streams.audit(tenantId), events, {
        expectedRevision: audit.length ? audit[audit.length - 1].revision : 'no-stream',
        metadata: { ...SYSTEM, tenantId, correlationId: `tree-head.${size}` },
      });
    } catch (error) {
      // Another worker signed meanwhile: look again (it most likely covered this size).
      if (error instanceof WrongExpectedVersionError && attempt < 3)
        return this.signNow(tenantId, cover, attempt + 1);
      throw error;
    }
  }

  /** Whether the tenant's log holds, after its first `signed` leaves, anything but head bookkeeping. */
  private async grewSince(tenantId: string, signed: number): Promise<boolean> {
    let after = signed > 0 ? (this.store.positionOf(tenantId, signed - 1) ?? 0) : 0;
    for (;;) {
      const page = await this.raw.readAll({
        afterPosition: after,
        maxCount: 100,
        streamPrefixes: tenantLogPrefixes(tenantId),
      });
      if (page.some((e) => !isBookkeeping(tenantId, e.stream))) return true;
      if (page.length < 100) return false;
      after = page[page.length - 1].position;
    }
  }

  /** Copies outside the store: the file sink, and the tenant's webhook (as a recorded notification). */
  private async publish(data: TreeHeadSignedData): Promise<void> {
    const head: TreeHead = {
      tenantId: data.tenantId,
      treeSize: data.treeSize,
      rootHash: data.rootHash,
      timestamp: data.timestamp,
      keyId: data.keyId,
      signature: data.signature,
    };
    try {
      writeSinkHead(this.sinkDir, { ...head, previousTreeSize: data.previousTreeSize });
    } catch (error) {
      // Recorded once per head; the subscription retries the copy until it is written.
      if (!this.sinkFailures.has(head.treeSize)) {
        this.sinkFailures.add(head.treeSize);
        await this.raw.append(
          streams.audit(head.tenantId),
          [
            {
              type: 'TreeHeadPublicationFailed',
              data: {
                treeSize: head.treeSize,
                channel: 'file',
                reason: (error as Error).message,
                at: this.now(),
              },
            },
          ],
          {
            expectedRevision: 'any',
            metadata: { ...SYSTEM, tenantId: head.tenantId, correlationId: `tree-head.${head.treeSize}` },
          },
        );
      }
      throw error;
    }
    await this.notifications.request(
      head.tenantId,
      notificationId('tree-head', String(head.treeSize)),
      'tree-head',
      { ...head },
      null,
    );
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
