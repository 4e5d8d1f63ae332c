import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RequestedScope } from '@reprise/domain/activation';
import { foldSchedules, scheduleDecider, type TestKind, type TestSchedule } from '@reprise/domain/schedule';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { notFound } from '@reprise/domain/shared/errors';
import { streams } from '@reprise/domain/shared/streams';
import { handleCommand } from '@reprise/event-store/command-handling';
import { EVENT_STORE, type EventStore, type MetadataInput } from '@reprise/event-store/event-store.port';
import { readTenantEstate } from '@reprise/read-models/estate.queries';
import type { Actor } from '../auth';
import type { TestScheduleView } from './schedules.dto';

export const scheduleStreamsPrefix = (tenantId: string) => `${streams.tenantPrefix(tenantId)}test-schedule/`;

export function toScheduleView(s: TestSchedule, version: number): TestScheduleView {
  return {
    id: s.id,
    kind: s.kind,
    scheduledFor: s.scheduledFor,
    scope: s.scope,
    status: s.status,
    origin: s.origin,
    dueAt: s.dueAt,
    activationId: s.activationId,
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    failureReason: s.failure?.reason ?? null,
    postponed: s.status === 'scheduled' ? s.postponed : null,
    cancelledAt: s.cancelled?.at ?? null,
    finishedAt: s.finished?.at ?? null,
    version,
  };
}

/**
 * Test schedules: each is its own stream, decided by the schedule decider and appended with the
 * expected revision. Reads come straight from the tenant's schedule streams (few per tenant).
 */
@Injectable()
export class SchedulesService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(
    actor: Actor,
    body: { kind: TestKind; scheduledFor: string; scope?: RequestedScope },
    metadata: MetadataInput,
  ): Promise<TestScheduleView> {
    const id = randomUUID();
    const estate = await readTenantEstate(this.store, actor.tenantId);
    const result = await handleCommand(
      this.store,
      streams.schedule(actor.tenantId, id),
      scheduleDecider,
      {
        type: 'ScheduleTest',
        data: {
          scheduleId: id,
          tenantId: actor.tenantId,
          kind: body.kind,
          scheduledFor: body.scheduledFor,
          scope: body.scope ?? 'full',
          origin: 'user',
          estate: estate.map((s) => ({ hostname: s.hostname, protectionClass: s.protectionClass })),
          now: this.clock.now().toISOString(),
        },
      },
      metadata,
    );
    return toScheduleView(result.state as TestSchedule, result.version);
  }

  async list(tenantId: string, query: { status?: string; kind?: string } = {}) {
    const events = await this.store.readAll({ streamPrefixes: [scheduleStreamsPrefix(tenantId)] });
    const versions = new Map<string, number>();
    for (const e of events) versions.set(e.stream, e.revision);
    const items = [...foldSchedules(events).entries()]
      .map(([stream, s]) => toScheduleView(s, versions.get(stream) ?? 0))
      .filter((s) => (!query.status || s.status === query.status) && (!query.kind || s.kind === query.kind))
      .sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor) || a.id.localeCompare(b.id));
    return { items, total: items.length };
  }

  async get(tenantId: string, id: string): Promise<TestScheduleView> {
    const events = await this.store.readStream(streams.schedule(tenantId, id));
    const schedule = foldSchedules(events).get(streams.schedule(tenantId, id));
    if (!schedule) throw notFound('test-schedule', id);
    return toScheduleView(schedule, events[events.length - 1].revision);
  }

  async cancel(
    actor: Actor,
    id: string,
    body: { reason?: string },
    metadata: MetadataInput,
    expectedVersion?: number,
  ): Promise<TestScheduleView> {
    await this.get(actor.tenantId, id); // 404 for an unknown id or another tenant's
    const result = await handleCommand(
      this.store,
      streams.schedule(actor.tenantId, id),
      scheduleDecider,
      {
        type: 'CancelSchedule',
        data: { by: actor.actor, reason: body.reason ?? null, at: this.clock.now().toISOString() },
      },
      metadata,
      { expectedVersion },
    );
    return toScheduleView(result.state as TestSchedule, result.version);
  }
}
