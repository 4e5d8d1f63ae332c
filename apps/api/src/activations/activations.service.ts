import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  activationDecider,
  confirmationCodeHashOf,
  CONFIRMATION_TTL_MINUTES,
  confirmationRefusal,
  estimatesFromSizes,
  evolveActivation,
  initialActivationState,
  toActivationView,
  type Activation,
  type ActivationCommand,
  type ActivationEvent,
  type ActivationState,
  type ActivationView,
  type Person,
  type RequestedScope,
} from '@reprise/domain/activation';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { DomainError, forbidden, notFound, validationError } from '@reprise/domain/shared/errors';
import { sameEmail } from '@reprise/domain/shared/email';
import { streams } from '@reprise/domain/shared/streams';
import { parseTimestamp, TIMESTAMP_RULE } from '@reprise/domain/shared/timestamp';
import { handleCommand } from '@reprise/event-store/command-handling';
import {
  EVENT_STORE,
  type EventStore,
  type MetadataInput,
  type RecordedEvent,
} from '@reprise/event-store/event-store.port';
import { NOTIFIER, type Notifier } from '@reprise/common/notifications/notifier';
import { personActing, type Actor } from '../auth';
import {
  activationSnapshotOf,
  readAuthorisedPersons,
  readTenantDetails,
  readRunbook,
  readTenantEstate,
} from '@reprise/read-models/estate.queries';
import { TenantLocks } from './tenant-lock';
import { ActivationViews } from './activation-views.service';
import { newRecipientCodes, verifyConfirmationCode, type RecipientCode } from './confirmation-code';

export const VIEW_ESTIMATES = estimatesFromSizes();

/**
 * Domain errors of the activation decider carry the activation's `status` in their details (e.g.
 * `wrong-status`, `wrong-code`); spread into problem+json it would replace the HTTP `status` number
 * and the filter would answer 500. It is answered as `activationStatus` instead.
 */
export function withActivationStatus(error: unknown): unknown {
  if (!(error instanceof DomainError) || !('status' in error.details)) return error;
  const { status, ...details } = error.details;
  const renamed = new DomainError(error.kind, error.code, error.message, {
    ...details,
    activationStatus: status,
  });
  renamed.stack = error.stack;
  return renamed;
}

/** How many times a human command is decided again after losing a race with the worker's facts. */
const COMMAND_RETRIES = 4;

/** Time a close/failback waits for the worker to finish before answering 202 instead of 200. */
const SETTLE_TIMEOUT_MS = Number(process.env.REPRISE_SETTLE_TIMEOUT_MS ?? 20_000);

/**
 * Activation use cases: each loads the activation stream, decides with the activation decider and
 * appends with the expected revision (handleCommand); the worker does the rest from the events.
 */
@Injectable()
export class ActivationsService {
  private readonly logger = new Logger(ActivationsService.name);
  private readonly locks = new TenantLocks();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFIER) private readonly notifier: Notifier,
    private readonly views: ActivationViews,
  ) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  /** A human deadline: 15 WALL minutes to confirm, whatever the pace of the engine's clock. */
  private confirmationDeadline(): string {
    return this.clock.afterWallTime(CONFIRMATION_TTL_MINUTES * 60_000).toISOString();
  }

  private async execute(
    actor: Actor,
    activationId: string,
    command: ActivationCommand,
    metadata: MetadataInput,
  ) {
    // The worker appends facts to the same stream while it runs (pre-staged restores of an alert,
    // steps of a running activation): a human command that lost the race is decided again on the
    // new state rather than answered 409 (no If-Match was given, so there is no lost update).
    const result = await handleCommand(
      this.store,
      streams.activation(actor.tenantId, activationId),
      activationDecider,
      command,
      metadata,
      { conflictRetries: COMMAND_RETRIES },
    ).catch((error: unknown) => {
      throw withActivationStatus(error);
    });
    if (result.position) await this.views.waitFor(result.position);
    return result;
  }

  private async requireActivation(actor: Actor, id: string): Promise<Activation> {
    const events = await this.store.readStream(streams.activation(actor.tenantId, id));
    if (events.length === 0) throw notFound('activation', id);
    return this.fold(events);
  }

  private fold(events: RecordedEvent[]): Activation {
    let state: ActivationState = initialActivationState();
    for (const event of events) state = evolveActivation(state, event as unknown as ActivationEvent);
    return state as Activation;
  }

  async request(
    actor: Actor,
    body: {
      type: 'test' | 'disaster' | 'alert';
      scope: RequestedScope;
      requestedBy?: Person;
      reason?: string;
    },
    metadata: MetadataInput,
  ) {
    if (body.type !== 'test' && actor.role !== 'dr-manager')
      throw forbidden('role-forbidden', `only a dr-manager may request a ${body.type}`, { role: actor.role });
    const requestedBy = personActing(actor, body.requestedBy, 'requestedBy', 'required');
    const tenant = await readTenantDetails(this.store, actor.tenantId);
    if (!tenant) throw notFound('tenant', actor.tenantId);
    const id = randomUUID();
    const persons = await readAuthorisedPersons(this.store, actor.tenantId);
    const codes = body.type === 'disaster' ? await newRecipientCodes(persons.map((p) => p.email)) : null;
    const result = await this.locks.run(actor.tenantId, async () => {
      const estate = (await readTenantEstate(this.store, actor.tenantId)).map(activationSnapshotOf);
      const runbook = await readRunbook(this.store, actor.tenantId);
      const otherActivations = this.views
        .list(actor.tenantId)
        .map((a) => ({ id: a.id, type: a.type, status: a.status }));
      return this.execute(
        actor,
        id,
        {
          type: 'RequestActivation',
          data: {
            activationId: id,
            tenantId: actor.tenantId,
            type: body.type,
            scope: body.scope,
            estate,
            runbook,
            otherActivations,
            requestedBy,
            reason: body.reason ?? null,
            window: { activationWindow: tenant.activationWindow, timeZone: tenant.timeZone },
            confirmation: codes
              ? {
                  codes: codes.map(({ email, codeHash }) => ({ email, codeHash })),
                  expiresAt: this.confirmationDeadline(),
                }
              : undefined,
            at: this.now(),
          },
        },
        metadata,
      );
    });
    const state = result.state as Activation;
    if (codes) this.sendCodes(actor.tenantId, state, codes, tenant.notificationWebhookUrl, metadata);
    return {
      id,
      status: state.status,
      scope: state.scope,
      version: result.version,
      ...(state.confirmation ? { confirmationExpiresAt: state.confirmation.expiresAt } : {}),
    };
  }

  /**
   * Sends each recipient their own one-time code (one notification each); each delivery (never the
   * code) is recorded. Codes of persons the decider left out (the requester) are never sent.
   */
  private sendCodes(
    tenantId: string,
    state: Activation,
    codes: RecipientCode[],
    webhookUrl: string | null,
    metadata: MetadataInput,
  ): void {
    const expiresAt = state.confirmation?.expiresAt ?? null;
    for (const recipient of state.confirmation?.recipients ?? []) {
      const code = codes.find((c) => sameEmail(c.email, recipient))?.code;
      if (!code) continue;
      void this.notifier
        .deliver(
          {
            kind: 'confirmation-code',
            tenantId,
            payload: { activationId: state.id, code, expiresAt, recipient },
          },
          { webhookUrl },
        )
        .then((delivery) =>
          this.store.append(
            streams.notification(tenantId, randomUUID()),
            [
              {
                type: delivery.delivered ? 'NotificationDelivered' : 'NotificationFailed',
                data: { kind: 'confirmation-code', activationId: state.id, recipient, ...delivery },
              },
            ],
            { expectedRevision: 'no-stream', metadata: { ...metadata, causationId: state.id } },
          ),
        )
        .catch((error) =>
          // Never the recipient's address in a log line: it is personal data.
          this.logger.error(`a confirmation code for ${state.id}: ${(error as Error).message}`),
        );
    }
  }

  async confirm(actor: Actor, id: string, body: { email?: string; code: string }, metadata: MetadataInput) {
    const email = personActing(
      actor,
      body.email ? { email: body.email } : undefined,
      'email',
      'required',
    ).email;
    const state = await this.requireActivation(actor, id);
    const codeHash = confirmationCodeHashOf(state, email);
    const codeValid = codeHash ? await verifyConfirmationCode(body.code, codeHash) : false;
    const authorisedPersons = await readAuthorisedPersons(this.store, actor.tenantId);
    const result = await this.execute(
      actor,
      id,
      {
        type: 'ConfirmActivation',
        data: { email, codeValid, authorisedPersons, at: this.now() },
      },
      metadata,
    );
    const refusal = confirmationRefusal(result.events as unknown as ActivationEvent[]);
    if (refusal) throw withActivationStatus(refusal);
    const next = result.state as Activation;
    return { id, status: next.status, startsAt: next.startsAt, version: result.version };
  }

  async escalate(
    actor: Actor,
    id: string,
    body: { scope: RequestedScope; requestedBy?: Person; reason?: string },
    metadata: MetadataInput,
  ) {
    const state = await this.requireActivation(actor, id);
    const by = personActing(actor, body.requestedBy, 'requestedBy', state.requestedBy);
    const tenant = await readTenantDetails(this.store, actor.tenantId);
    const persons = await readAuthorisedPersons(this.store, actor.tenantId);
    const codes = await newRecipientCodes(persons.map((p) => p.email));
    const estate = (await readTenantEstate(this.store, actor.tenantId)).map(activationSnapshotOf);
    const result = await this.execute(
      actor,
      id,
      {
        type: 'EscalateAlert',
        data: {
          scope: body.scope,
          estate,
          confirmation: {
            codes: codes.map(({ email, codeHash }) => ({ email, codeHash })),
            expiresAt: this.confirmationDeadline(),
          },
          by,
          reason: body.reason ?? null,
          at: this.now(),
        },
      },
      metadata,
    );
    const next = result.state as Activation;
    this.sendCodes(actor.tenantId, next, codes, tenant?.notificationWebhookUrl ?? null, metadata);
    return {
      id,
      status: next.status,
      scope: next.scope,
      confirmationExpiresAt: next.confirmation?.expiresAt ?? null,
      version: result.version,
    };
  }

  async simple(
    actor: Actor,
    id: string,
    kind: 'stand-down' | 'abort' | 'retry' | 'close' | 'failback' | 'sign-off' | 'fail-step' | 'retry-step',
    body: { reason?: string; note?: string; by?: Person; serverId?: string; step?: string },
    metadata: MetadataInput,
  ) {
    const state = await this.requireActivation(actor, id);
    const by: Person = personActing(actor, body.by, 'by');
    const at = this.now();
    let command: ActivationCommand;
    switch (kind) {
      case 'stand-down':
        command = { type: 'StandDownAlert', data: { by, reason: body.reason ?? null, at } };
        break;
      case 'abort':
        command = { type: 'AbortActivation', data: { reason: body.reason ?? 'aborted', by, at } };
        break;
      case 'retry':
        if (!body.serverId || state.index[body.serverId] === undefined)
          throw notFound('server', body.serverId ?? '');
        command = { type: 'RetryServer', data: { serverId: body.serverId, by, at } };
        break;
      case 'close':
        command = { type: 'RequestClose', data: { by, at } };
        break;
      case 'sign-off':
        command = { type: 'SignOffRunbookStep', data: { name: body.step!, note: body.note ?? null, by, at } };
        break;
      case 'fail-step':
        command = { type: 'FailRunbookStep', data: { name: body.step!, reason: body.reason ?? '', by, at } };
        break;
      case 'retry-step':
        command = { type: 'RetryRunbookStep', data: { name: body.step!, by, at } };
        break;
      case 'failback':
        command = { type: 'RequestFailback', data: { by, at } };
        break;
    }
    const result = await this.execute(actor, id, command, metadata);
    let next = result.state as Activation;
    if (kind === 'close' || kind === 'failback')
      next = await this.settle(actor, id, kind === 'close' ? 'closed' : 'failed-back');
    return {
      id,
      status: next.status,
      version: result.version,
      ...(kind === 'close' ? { teardown: next.teardown } : {}),
    };
  }

  /** Waits (bounded) for the worker to finish a teardown or failback, so the answer can say `closed`. */
  private async settle(actor: Actor, id: string, target: 'closed' | 'failed-back'): Promise<Activation> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const state = this.views.get(actor.tenantId, id);
      if (state && (state.status === target || Date.now() > deadline)) return state;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  list(actor: Actor, query: { type?: string; status?: string }) {
    const items = this.views
      .list(actor.tenantId)
      .filter((a) => (!query.type || a.type === query.type) && (!query.status || a.status === query.status))
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt))
      .map((a) => {
        const view = toActivationView(a, { now: this.now(), estimates: VIEW_ESTIMATES }) as ActivationView;
        return {
          id: a.id,
          type: a.type,
          kind: a.kind,
          status: a.status,
          requestedAt: a.requestedAt,
          launchedAt: a.launchedAt,
          closedAt: a.closedAt,
          servers: a.servers.length,
          lastServerAvailableAfterMinutes: view.rto.lastServerAvailableAfterMinutes,
          firstServerAvailableAfterMinutes: view.rto.firstServerAvailableAfterMinutes,
        };
      });
    return { items, total: items.length };
  }

  async view(actor: Actor, id: string, asOf?: string): Promise<ActivationView> {
    if (asOf) {
      const at = parseTimestamp(asOf);
      if (at === null)
        throw validationError('invalid-time', `asOf ${TIMESTAMP_RULE}`, [
          { field: 'asOf', message: TIMESTAMP_RULE },
        ]);
      const events = await this.store.readStream(streams.activation(actor.tenantId, id));
      if (events.length === 0) throw notFound('activation', id);
      const upTo = events.filter((e) => e.metadata.recordedAt <= new Date(at).toISOString());
      if (upTo.length === 0)
        throw validationError('before-activation', `the activation did not exist at ${asOf}`, [
          { field: 'asOf', message: 'is before the activation was requested' },
        ]);
      return toActivationView(this.fold(upTo), {
        now: new Date(at).toISOString(),
        estimates: VIEW_ESTIMATES,
      }) as ActivationView;
    }
    const state = this.views.get(actor.tenantId, id) ?? (await this.requireActivation(actor, id));
    return toActivationView(state, { now: this.now(), estimates: VIEW_ESTIMATES }) as ActivationView;
  }

  async events(actor: Actor, id: string) {
    const events = await this.store.readStream(streams.activation(actor.tenantId, id));
    if (events.length === 0) throw notFound('activation', id);
    return events.map(toEventView);
  }
}

export function toEventView(e: RecordedEvent) {
  return {
    seq: e.revision,
    position: e.position,
    type: e.type,
    at: e.metadata.recordedAt,
    data: e.data,
    actor: e.metadata.actor,
    role: e.metadata.role,
    requestId: e.metadata.requestId ?? null,
    causationId: e.metadata.causationId,
  };
}
