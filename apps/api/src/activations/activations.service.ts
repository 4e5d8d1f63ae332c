import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  activationDecider,
  claimedServersOf,
  confirmationCodeHashOf,
  isLive,
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
  type LiveClaim,
  type Person,
  type RequestedScope,
} from '@reprise/domain/activation';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { conflict, DomainError, forbidden, notFound, validationError } from '@reprise/domain/shared/errors';
import { sameEmail } from '@reprise/domain/shared/email';
import { streams } from '@reprise/domain/shared/streams';
import { parseTimestamp, TIMESTAMP_RULE } from '@reprise/domain/shared/timestamp';
import { ActivationClaims } from '@reprise/common/completions/activation-claims';
import { handleCommand } from '@reprise/event-store/command-handling';
import {
  EVENT_STORE,
  type EventStore,
  type MetadataInput,
  type RecordedEvent,
} from '@reprise/event-store/event-store.port';
import { NOTIFIER, type Notifier } from '@reprise/common/notifications/notifier';
import { RECOVERY_CLOUD, type RecoveryCloud, type SiteState } from '@reprise/recovery-cloud-client';
import { personActing, type Actor } from '../auth';
import {
  activationSnapshotOf,
  readAuthorisedPersons,
  readTenantDetails,
  readRunbook,
  readTenantEstate,
} from '@reprise/read-models/estate.queries';
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

/** Time a close waits for the worker to finish before answering 202 instead of 200. */
const SETTLE_TIMEOUT_MS = Number(process.env.REPRISE_SETTLE_TIMEOUT_MS ?? 20_000);

/**
 * Activation use cases: each loads the activation stream, decides with the activation decider and
 * appends with the expected revision (handleCommand); the worker does the rest from the events.
 */
@Injectable()
export class ActivationsService {
  private readonly logger = new Logger(ActivationsService.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFIER) private readonly notifier: Notifier,
    private readonly claims: ActivationClaims,
    private readonly views: ActivationViews,
    @Inject(RECOVERY_CLOUD) private readonly cloud: Pick<RecoveryCloud, 'originalSite'>,
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

  /**
   * Decides `command` on the activation (a new one unless `existing`) and records its events through
   * a claim of every server the activation then holds: the overlap rule, decided in the store (see
   * the domain's `scope-claims.ts`); 409 `activation-overlap` names the servers in conflict.
   */
  private async claim(
    actor: Actor,
    id: string,
    existing: boolean,
    command: ActivationCommand,
    metadata: MetadataInput,
  ): Promise<{ state: Activation; version: number }> {
    const stream = streams.activation(actor.tenantId, id);
    for (let attempt = 0; ; attempt++) {
      const recorded = existing ? await this.store.readStream(stream) : [];
      if (existing && recorded.length === 0) throw notFound('activation', id);
      const before: ActivationState = existing ? this.fold(recorded) : initialActivationState();
      let events: ActivationEvent[];
      try {
        events = activationDecider.decide(command, before);
      } catch (error) {
        throw withActivationStatus(error);
      }
      const state = events.reduce(evolveActivation, before) as Activation;
      if (events.length === 0) return { state, version: recorded.length - 1 };
      try {
        const { through } = await this.claims.claim(
          {
            tenantId: actor.tenantId,
            activationId: id,
            servers: claimedServersOf(state),
            events,
            basedOnRevision: existing ? recorded[recorded.length - 1].revision : null,
            live: this.liveClaims(actor.tenantId),
          },
          metadata,
        );
        await this.views.waitFor(through);
        return { state, version: await this.store.streamRevision(stream) };
      } catch (error) {
        // Another extension of this activation was decided meanwhile: decide again on it.
        const changed = error instanceof DomainError && error.code === 'activation-changed';
        if (!changed || attempt >= COMMAND_RETRIES) throw error;
      }
    }
  }

  /** What the live activations of the tenant hold, as the read model knows it (see `ScopeClaimRequest.live`). */
  private liveClaims(tenantId: string): LiveClaim[] {
    return this.views
      .list(tenantId)
      .filter((a) => isLive(a.status))
      .map((a) => ({ activationId: a.id, servers: claimedServersOf(a) }));
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
      type: 'test' | 'disaster' | 'alert' | 'restore-test';
      scope: RequestedScope;
      requestedBy?: Person;
      reason?: string;
    },
    metadata: MetadataInput,
  ) {
    const isTest = body.type === 'test' || body.type === 'restore-test';
    if (!isTest && actor.role !== 'dr-manager')
      throw forbidden('role-forbidden', `only a dr-manager may request a ${body.type}`, { role: actor.role });
    const requestedBy = personActing(actor, body.requestedBy, 'requestedBy', 'required');
    const tenant = await readTenantDetails(this.store, actor.tenantId);
    if (!tenant) throw notFound('tenant', actor.tenantId);
    const id = randomUUID();
    const persons = await readAuthorisedPersons(this.store, actor.tenantId);
    const codes = body.type === 'disaster' ? await newRecipientCodes(persons.map((p) => p.email)) : null;
    const command: ActivationCommand = {
      type: 'RequestActivation',
      data: {
        activationId: id,
        tenantId: actor.tenantId,
        ...(body.type === 'restore-test'
          ? { type: 'test' as const, kind: 'restore-test' as const }
          : { type: body.type }),
        scope: body.scope,
        estate: (await readTenantEstate(this.store, actor.tenantId)).map(activationSnapshotOf),
        runbook: await readRunbook(this.store, actor.tenantId),
        requestedBy,
        reason: body.reason ?? null,
        window: {
          activationWindow: tenant.activationWindow,
          timeZone: tenant.timeZone,
          emergencyOverride: tenant.emergencyOverride,
        },
        confirmation: codes
          ? {
              codes: codes.map(({ email, codeHash }) => ({ email, codeHash })),
              expiresAt: this.confirmationDeadline(),
            }
          : undefined,
        at: this.now(),
      },
    };
    const result = await this.claim(actor, id, false, command, metadata);
    const state = result.state as Activation;
    if (codes) this.sendCodes(actor.tenantId, state, codes, tenant.notificationWebhookUrl, metadata);
    return {
      id,
      status: state.status,
      kind: state.kind,
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
    /** What the code confirms, when not the activation itself (e.g. `{widening: 2, servers}`). */
    subject: Record<string, unknown> = {},
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
            payload: { activationId: state.id, ...subject, code, expiresAt, recipient },
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
    const next = result.state as Activation;
    const refusal = confirmationRefusal(result.events as unknown as ActivationEvent[], next.status);
    if (refusal) throw withActivationStatus(refusal);
    const widening = next.widenings[next.widenings.length - 1];
    return {
      id,
      status: next.status,
      startsAt: next.startsAt,
      ...(widening && result.events.some((e) => e.type === 'ScopeWideningConfirmed')
        ? { widening: widening.widening, wideningStatus: widening.status }
        : {}),
      ...(next.override && result.events.some((e) => e.type === 'EmergencyOverrideConfirmed')
        ? { overrideStatus: next.override.status }
        : {}),
      version: result.version,
    };
  }

  /**
   * A four-eyes request (escalation, failback, widening, override): a code for each authorised person
   * (the decider leaves the requester out), the confirmation its command carries, and the delivery
   * of each code once the request is recorded.
   */
  private async fourEyes(tenantId: string) {
    const tenant = await readTenantDetails(this.store, tenantId);
    const persons = await readAuthorisedPersons(this.store, tenantId);
    const codes = await newRecipientCodes(persons.map((p) => p.email));
    return {
      persons,
      confirmation: {
        codes: codes.map(({ email, codeHash }) => ({ email, codeHash })),
        expiresAt: this.confirmationDeadline(),
      },
      sendCodes: (state: Activation, metadata: MetadataInput, subject?: Record<string, unknown>) =>
        this.sendCodes(tenantId, state, codes, tenant?.notificationWebhookUrl ?? null, metadata, subject),
    };
  }

  async escalate(
    actor: Actor,
    id: string,
    body: { scope: RequestedScope; requestedBy?: Person; reason?: string },
    metadata: MetadataInput,
  ) {
    const state = await this.requireActivation(actor, id);
    const by = personActing(actor, body.requestedBy, 'requestedBy', state.requestedBy);
    const fourEyes = await this.fourEyes(actor.tenantId);
    const estate = (await readTenantEstate(this.store, actor.tenantId)).map(activationSnapshotOf);
    const result = await this.claim(
      actor,
      id,
      true,
      {
        type: 'EscalateAlert',
        data: {
          scope: body.scope,
          estate,
          runbook: await readRunbook(this.store, actor.tenantId),
          confirmation: fourEyes.confirmation,
          by,
          reason: body.reason ?? null,
          at: this.now(),
        },
      },
      metadata,
    );
    const next = result.state as Activation;
    fourEyes.sendCodes(next, metadata);
    return {
      id,
      status: next.status,
      scope: next.scope,
      confirmationExpiresAt: next.confirmation?.expiresAt ?? null,
      version: result.version,
    };
  }

  /**
   * Asks for a failback: the original site's state comes from the recovery cloud, the decider judges
   * the rest; then, as for a disaster, each other authorised person gets their own code.
   */
  async failback(
    actor: Actor,
    id: string,
    body: { requestedBy?: Person; reason?: string; exclude?: string[] },
    metadata: MetadataInput,
  ) {
    await this.requireActivation(actor, id);
    const by = personActing(actor, body.requestedBy, 'requestedBy', 'required');
    const originalSite = await this.originalSite(actor.tenantId);
    const fourEyes = await this.fourEyes(actor.tenantId);
    const result = await this.execute(
      actor,
      id,
      {
        type: 'RequestFailback',
        data: {
          by,
          reason: body.reason ?? null,
          exclude: body.exclude ?? [],
          originalSite,
          confirmation: fourEyes.confirmation,
          at: this.now(),
        },
      },
      metadata,
    );
    const next = result.state as Activation;
    if (result.events.some((e) => e.type === 'ConfirmationRequested')) fourEyes.sendCodes(next, metadata);
    return {
      id,
      status: next.status,
      excluded: next.failback?.excluded ?? [],
      confirmationExpiresAt:
        next.status === 'failback-awaiting-confirmation' ? next.confirmation?.expiresAt : null,
      version: result.version,
    };
  }

  /** The original site's state as the recovery cloud reports it; unknown when the cloud does not answer. */
  private async originalSite(tenantId: string): Promise<SiteState> {
    try {
      return await this.cloud.originalSite(tenantId);
    } catch (error) {
      throw conflict(
        'original-site-unknown',
        `the state of the original site is unknown (the recovery cloud did not answer: ${(error as Error).message}): failback needs the original site up`,
      );
    }
  }

  /**
   * Widens a live failover: the new servers (with their upstream dependencies) are claimed at once
   * and wait for a new four-eyes confirmation (a code to each other authorised person).
   */
  async widen(
    actor: Actor,
    id: string,
    body: { servers: string[] | 'full'; requestedBy?: Person; reason?: string },
    metadata: MetadataInput,
  ) {
    await this.requireActivation(actor, id);
    const by = personActing(actor, body.requestedBy, 'requestedBy', 'required');
    const fourEyes = await this.fourEyes(actor.tenantId);
    const estate = (await readTenantEstate(this.store, actor.tenantId)).map(activationSnapshotOf);
    const result = await this.claim(
      actor,
      id,
      true,
      {
        type: 'WidenScope',
        data: {
          scope: body.servers === 'full' ? 'full' : { servers: body.servers },
          estate,
          runbook: await readRunbook(this.store, actor.tenantId),
          confirmation: fourEyes.confirmation,
          by,
          reason: body.reason ?? null,
          at: this.now(),
        },
      },
      metadata,
    );
    const next = result.state;
    const widening = next.widenings[next.widenings.length - 1];
    fourEyes.sendCodes(next, metadata, {
      widening: widening.widening,
      servers: widening.servers.map((x) => x.hostname),
    });
    return {
      id,
      status: widening.status,
      activationStatus: next.status,
      widening: widening.widening,
      servers: widening.servers.map((x) => x.hostname),
      requested: widening.requested,
      added: widening.added,
      excluded: widening.excluded,
      confirmationExpiresAt: next.confirmation?.expiresAt ?? null,
      version: result.version,
    };
  }

  /**
   * Asks to start a disaster that waits for its window at once (the tenant's contract must allow
   * it): recorded with its reason, it starts when another authorised person confirms with their code.
   */
  async override(
    actor: Actor,
    id: string,
    body: { reason: string; requestedBy?: Person },
    metadata: MetadataInput,
  ) {
    await this.requireActivation(actor, id);
    const by = personActing(actor, body.requestedBy, 'requestedBy', 'required');
    const fourEyes = await this.fourEyes(actor.tenantId);
    const result = await this.execute(
      actor,
      id,
      {
        type: 'RequestEmergencyOverride',
        data: {
          reason: body.reason,
          authorisedPersons: fourEyes.persons,
          confirmation: fourEyes.confirmation,
          by,
          at: this.now(),
        },
      },
      metadata,
    );
    const next = result.state as Activation;
    fourEyes.sendCodes(next, metadata, {
      override: true,
      reason: next.override?.reason,
    });
    return {
      id,
      status: next.status,
      overrideStatus: next.override?.status ?? null,
      reason: next.override?.reason ?? null,
      confirmationExpiresAt: next.confirmation?.expiresAt ?? null,
      version: result.version,
    };
  }

  async simple(
    actor: Actor,
    id: string,
    kind: 'stand-down' | 'abort' | 'retry' | 'close' | 'sign-off' | 'fail-step' | 'retry-step',
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
    }
    const result = await this.execute(actor, id, command, metadata);
    let next = result.state as Activation;
    if (kind === 'close') next = await this.settle(actor, id);
    return {
      id,
      status: next.status,
      version: result.version,
      ...(kind === 'close' ? { teardown: next.teardown } : {}),
    };
  }

  /** Waits (bounded) for the worker to finish a teardown, so the answer can say `closed`. */
  private async settle(actor: Actor, id: string): Promise<Activation> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const state = this.views.get(actor.tenantId, id);
      if (state && (state.status === 'closed' || Date.now() > deadline)) return state;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  list(actor: Actor, query: { type?: string; status?: string }) {
    const items = this.views
      .list(actor.tenantId)
      .filter(
        (a) =>
          (!query.type || a.type === query.type || a.kind === query.type) &&
          (!query.status || a.status === query.status),
      )
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
