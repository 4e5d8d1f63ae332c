import { Inject, Injectable, Logger } from '@nestjs/common';
import { Environment } from '@reprise/common/config/environment';
import { ActivationClaims } from '@reprise/common/completions/activation-claims';
import {
  activationDecider,
  claimedServersOf,
  evolveActivation,
  isLive,
  initialActivationState,
  isFinished,
  type Activation,
  type ActivationEvent,
  type ActivationState,
  type Person,
} from '@reprise/domain/activation';
import {
  complianceOf,
  defaultCadenceProposals,
  foldSchedules,
  isDueToStart,
  scheduleDecider,
  successfulTestsOf,
  type ComplianceEntry,
  type TestSchedule,
} from '@reprise/domain/schedule';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { DomainError } from '@reprise/domain/shared/errors';
import { parseTenantStream, streams } from '@reprise/domain/shared/streams';
import { handleCommand, loadAggregate } from '@reprise/event-store/command-handling';
import {
  EVENT_STORE,
  WrongExpectedVersionError,
  type EventStore,
  type MetadataInput,
} from '@reprise/event-store/event-store.port';
import {
  activationSnapshotOf,
  readTenantDetails,
  readRunbook,
  readTenantEstate,
  readTenantIds,
} from '@reprise/read-models/estate.queries';
import { notificationId, NotificationRequests } from '../notifications/notification-requests.service';
import { deterministicUuid } from './ids';

export const SCHEDULER_PERSON: Person = { name: 'Reprise scheduler', email: 'scheduler@reprise.local' };
const CLOSABLE = new Set(['completed', 'completed-with-failures', 'aborted']);

export interface TestSchedulerOptions {
  /** Wall ms between two compliance passes of one tenant (default cadence, due/overdue notices). */
  complianceEveryMs: number;
  /** `false` turns the default cadence off (REPRISE_DEFAULT_CADENCE=off). */
  defaultCadence: boolean;
  /** The default cadence proposes a test when servers come due within this many days. */
  cadenceHorizonDays: number;
}

export const schedulerOptions = (env: Environment): TestSchedulerOptions => ({
  complianceEveryMs: env.REPRISE_COMPLIANCE_EVERY_MS ?? 2000,
  defaultCadence: (env.REPRISE_DEFAULT_CADENCE ?? 'on') !== 'off',
  cadenceHorizonDays: env.REPRISE_CADENCE_HORIZON_DAYS ?? 60,
});

const scheduleStreamsPrefix = (tenantId: string) => `${streams.tenantPrefix(tenantId)}test-schedule/`;
const activationStreamsPrefix = (tenantId: string) => `${streams.tenantPrefix(tenantId)}activation/`;

/**
 * What one `schedule.tick` does, for every tenant, from the store alone:
 * 1. a planned test whose time has come starts: the activation is requested through the activation
 *    decider (id derived from the schedule, so racing ticks start one activation), then the
 *    schedule records it (`ScheduledTestStarted`), or records why it could not start;
 * 2. a started test that completed is closed (`RequestClose`), so it tears down by itself; once its
 *    activation is closed the schedule is finished (the report-ready notice follows the close);
 * 3. the default cadence proposes the next DRP test / restore test when servers come due, and
 *    test-due / test-overdue notices go out once per server and due date.
 */
@Injectable()
export class TestScheduler {
  private readonly logger = new Logger(TestScheduler.name);
  private readonly lastCompliance = new Map<string, number>();
  readonly options: TestSchedulerOptions;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly notifications: NotificationRequests,
    private readonly claims: ActivationClaims,
    env: Environment,
  ) {
    this.options = schedulerOptions(env);
  }

  async tick(): Promise<void> {
    const now = this.clock.now().toISOString();
    for (const tenantId of await readTenantIds(this.store)) {
      try {
        await this.tickTenant(tenantId, now);
      } catch (error) {
        this.logger.error(`schedule tick of tenant ${tenantId}: ${(error as Error).message}`);
      }
    }
  }

  async tickTenant(tenantId: string, now: string): Promise<void> {
    const events = await this.store.readAll({ streamPrefixes: [scheduleStreamsPrefix(tenantId)] });
    const schedules = [...foldSchedules(events).values()];
    for (const schedule of schedules) {
      if (isDueToStart(schedule, now)) await this.start(tenantId, schedule, now);
      else if (schedule.status === 'started') await this.follow(tenantId, schedule, now);
    }
    const last = this.lastCompliance.get(tenantId) ?? 0;
    if (Date.now() - last >= this.options.complianceEveryMs) {
      this.lastCompliance.set(tenantId, Date.now());
      await this.compliancePass(tenantId, schedules, now);
    }
  }

  private meta(tenantId: string, correlationId: string, causationId: string | null): MetadataInput {
    return { actor: 'system:scheduler', role: 'system', tenantId, correlationId, causationId };
  }

  private async readActivations(tenantId: string): Promise<Activation[]> {
    const events = await this.store.readAll({ streamPrefixes: [activationStreamsPrefix(tenantId)] });
    const states = new Map<string, ActivationState>();
    for (const e of events) {
      if (parseTenantStream(e.stream)?.category !== 'activation') continue;
      states.set(
        e.stream,
        evolveActivation(states.get(e.stream) ?? initialActivationState(), e as unknown as ActivationEvent),
      );
    }
    return [...states.values()].filter((s): s is Activation => s.exists);
  }

  /**
   * Starts the schedule's test: at most one activation per schedule, whoever races (its id comes
   * from the schedule, and the scope claims refuse a second activation of one id). A test that would
   * overlap a live activation is postponed (recorded and notified once per blocker), not failed: the
   * next tick tries again.
   */
  private async start(tenantId: string, schedule: TestSchedule, now: string): Promise<void> {
    const activationId = deterministicUuid(`test-schedule/${tenantId}/${schedule.id}`);
    const scheduleStream = streams.schedule(tenantId, schedule.id);
    try {
      const tenant = await readTenantDetails(this.store, tenantId);
      if (!tenant) throw new DomainError('not-found', 'tenant-not-found', `tenant ${tenantId} not found`);
      const estate = (await readTenantEstate(this.store, tenantId)).map(activationSnapshotOf);
      const events = activationDecider.decide(
        {
          type: 'RequestActivation',
          data: {
            activationId,
            tenantId,
            type: 'test',
            kind: schedule.kind,
            scope: schedule.scope,
            estate,
            runbook: await readRunbook(this.store, tenantId),
            requestedBy: SCHEDULER_PERSON,
            reason: `scheduled ${schedule.kind} ${schedule.id} (${schedule.origin})`,
            window: { activationWindow: tenant.activationWindow, timeZone: tenant.timeZone },
            at: now,
          },
        },
        initialActivationState(),
      );
      const live = (await this.readActivations(tenantId))
        .filter((a) => a.id !== activationId && isLive(a.status))
        .map((a) => ({ activationId: a.id, servers: claimedServersOf(a) }));
      const state = events.reduce(evolveActivation, initialActivationState()) as Activation;
      await this.claims.claim(
        {
          tenantId,
          activationId,
          servers: claimedServersOf(state),
          events,
          basedOnRevision: null,
          live,
        },
        this.meta(tenantId, activationId, schedule.id),
      );
    } catch (error) {
      const raced =
        error instanceof WrongExpectedVersionError ||
        (error instanceof DomainError && error.code === 'activation-exists');
      if (!raced) {
        if (!(error instanceof DomainError)) throw error; // transient: the next tick tries again
        if (error.code === 'activation-overlap') return this.postpone(tenantId, schedule, error, now);
        this.logger.warn(`scheduled test ${schedule.id} could not start: ${error.message}`);
        await this.recordOnSchedule(tenantId, scheduleStream, schedule.id, {
          type: 'RecordScheduledTestFailedToStart',
          data: { reason: error.message, code: error.code, at: now },
        });
        return;
      }
    }
    await this.recordOnSchedule(tenantId, scheduleStream, schedule.id, {
      type: 'RecordScheduledTestStarted',
      data: { activationId, at: now },
    });
  }

  /** Records (once per set of blockers) that the test waits for live activations, and says so. */
  private async postpone(tenantId: string, schedule: TestSchedule, overlap: DomainError, now: string) {
    const servers = (overlap.details.servers as string[] | undefined) ?? [];
    const activationIds = ((overlap.details.activations as { activationId: string }[] | undefined) ?? []).map(
      (a) => a.activationId,
    );
    const reason = `postponed: ${overlap.message}`;
    await this.recordOnSchedule(tenantId, streams.schedule(tenantId, schedule.id), schedule.id, {
      type: 'RecordScheduledTestPostponed',
      data: { reason, servers, activationIds, at: now },
    });
    await this.notifications.request(
      tenantId,
      notificationId('test-postponed', schedule.id, ...[...activationIds].sort()),
      'test-postponed',
      {
        scheduleId: schedule.id,
        testKind: schedule.kind,
        scheduledFor: schedule.scheduledFor,
        reason,
        servers,
        activationIds,
      },
      schedule.id,
    );
  }

  private async recordOnSchedule(
    tenantId: string,
    stream: string,
    scheduleId: string,
    command: Parameters<typeof scheduleDecider.decide>[0],
  ): Promise<void> {
    try {
      await handleCommand(
        this.store,
        stream,
        scheduleDecider,
        command,
        this.meta(tenantId, scheduleId, scheduleId),
      );
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return; // another tick recorded it; re-read next tick
      if (error instanceof DomainError && error.kind === 'conflict') {
        this.logger.warn(`schedule ${scheduleId}: ${error.message}`);
        return;
      }
      throw error;
    }
  }

  /** A started test closes itself once completed; the schedule finishes once it is closed. */
  private async follow(tenantId: string, schedule: TestSchedule, now: string): Promise<void> {
    const activationId = schedule.activationId!;
    const stream = streams.activation(tenantId, activationId);
    const loaded = await loadAggregate(this.store, stream, activationDecider);
    if (!loaded || !loaded.state.exists) return;
    const activation = loaded.state;
    if (CLOSABLE.has(activation.status) && !activation.close) {
      try {
        await handleCommand(
          this.store,
          stream,
          activationDecider,
          { type: 'RequestClose', data: { by: SCHEDULER_PERSON, at: now } },
          this.meta(tenantId, activationId, schedule.id),
        );
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error; // busy stream: next tick
      }
      return;
    }
    if (isFinished(activation)) {
      await this.recordOnSchedule(tenantId, streams.schedule(tenantId, schedule.id), schedule.id, {
        type: 'RecordScheduledTestFinished',
        data: { activationId, activationStatus: activation.status, at: now },
      });
    }
  }

  private async compliancePass(tenantId: string, planned: TestSchedule[], now: string): Promise<void> {
    let schedules = planned;
    const servers = (await readTenantEstate(this.store, tenantId)).map((s) => ({
      serverId: s.id,
      hostname: s.hostname,
      protectionClass: s.protectionClass,
      enrolledAt: s.enrolledAt,
    }));
    if (servers.length === 0) return;
    const tests = (await this.readActivations(tenantId)).flatMap(successfulTestsOf);
    const compliance = complianceOf(servers, tests, now);
    if (this.options.defaultCadence && (await this.defaultCadence(tenantId, compliance, schedules, now)))
      schedules = [
        ...foldSchedules(
          await this.store.readAll({ streamPrefixes: [scheduleStreamsPrefix(tenantId)] }),
        ).values(),
      ];
    await this.notices(tenantId, compliance, schedules);
  }

  private async defaultCadence(
    tenantId: string,
    compliance: ComplianceEntry[],
    schedules: TestSchedule[],
    now: string,
  ): Promise<boolean> {
    let created = false;
    for (const proposal of defaultCadenceProposals(
      compliance,
      schedules,
      now,
      this.options.cadenceHorizonDays,
    )) {
      const generation = schedules.filter(
        (s) => s.origin === 'default-cadence' && s.kind === proposal.kind && s.dueAt === proposal.dueAt,
      ).length;
      const scheduleId = deterministicUuid(
        `default-cadence/${tenantId}/${proposal.kind}/${proposal.dueAt}/${generation}`,
      );
      try {
        await handleCommand(
          this.store,
          streams.schedule(tenantId, scheduleId),
          scheduleDecider,
          {
            type: 'ScheduleTest',
            data: {
              scheduleId,
              tenantId,
              kind: proposal.kind,
              scheduledFor: proposal.scheduledFor,
              scope: 'full',
              origin: 'default-cadence',
              dueAt: proposal.dueAt,
              now,
            },
          },
          this.meta(tenantId, scheduleId, 'default-cadence'),
        );
        created = true;
        this.logger.log(
          `default cadence: ${proposal.kind} of tenant ${tenantId} planned for ${proposal.scheduledFor}`,
        );
      } catch (error) {
        // Another worker planned it just now: it exists all the same.
        if (error instanceof WrongExpectedVersionError) created = true;
        else if (error instanceof DomainError && error.code === 'schedule-exists') created = true;
        else throw error;
      }
    }
    return created;
  }

  /** test-due (within 30 days) and test-overdue, once per server and due date. */
  private async notices(
    tenantId: string,
    compliance: ComplianceEntry[],
    schedules: TestSchedule[],
  ): Promise<void> {
    for (const entry of compliance) {
      if (!entry.nextDueAt || (!entry.overdue && !entry.dueSoon)) continue;
      const kind = entry.overdue ? 'test-overdue' : 'test-due';
      const testKind = entry.protectionClass === 'drp' ? 'drp-test' : 'restore-test';
      const planned = schedules
        .filter((s) => s.status === 'scheduled' && s.kind === testKind)
        .sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor))[0];
      await this.notifications.request(
        tenantId,
        notificationId(kind, entry.serverId, entry.nextDueAt),
        kind,
        {
          serverId: entry.serverId,
          hostname: entry.hostname,
          protectionClass: entry.protectionClass,
          testKind,
          lastTestedAt: entry.lastTestedAt,
          nextDueAt: entry.nextDueAt,
          plannedTest: planned ? { scheduleId: planned.id, scheduledFor: planned.scheduledFor } : null,
        },
        null,
      );
    }
  }
}
