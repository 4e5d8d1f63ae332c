import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  activationDecider,
  type ActivationCommand,
  type ActivationEvent,
  type ActivationState,
} from '@reprise/domain/activation';
import { parseTenantStream } from '@reprise/domain/shared/streams';
import { AggregateExecutor } from '@reprise/event-store/aggregate-executor';
import {
  EVENT_STORE,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@reprise/event-store/event-store.port';
import { notificationId, NotificationRequests } from './notification-requests.service';

/**
 * Follows every activation's events (separately from the dispatcher, which records the projected
 * RTO breaches when the workflow's timers fall due) to:
 * - notify `rto-breach-projected` for each `RtoBreachProjected`, and `report-ready` when an
 *   activation is closed (test) or failed back (disaster): its report is then final;
 * - remind the assignee of a manual runbook step still waiting (`RunbookStepReminded`);
 * - hand every requested notification not yet delivered to the delivery job (after a restart too).
 */
@Injectable()
export class ActivationNotifications implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivationNotifications.name);
  private readonly executor: AggregateExecutor<ActivationCommand, ActivationState, ActivationEvent>;
  private subscription: Subscription | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly requests: NotificationRequests,
  ) {
    this.executor = new AggregateExecutor(store, activationDecider, { maxCached: 200 });
  }

  onApplicationBootstrap(): void {
    this.subscription = this.store.subscribe({
      subscriberId: 'worker-activation-notifications',
      streamPrefixes: ['tenant/'],
      // Rebuilt from the events at start; requests are idempotent, so replaying them is harmless.
      checkpoints: { getCheckpoint: async () => 0, saveCheckpoint: async () => undefined },
      handler: (event) => this.onEvent(event),
      onError: (error, event) =>
        this.logger.error(`notifications follower at ${event?.position}: ${(error as Error).message}`),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  private async onEvent(event: RecordedEvent): Promise<void> {
    const parsed = parseTenantStream(event.stream);
    if (!parsed?.id) return;
    const { tenantId, id } = parsed;
    if (parsed.category === 'notification') {
      if (event.type === 'NotificationRequested') {
        const state = await this.store.readStream(event.stream, { fromRevision: event.revision + 1 });
        if (
          !state.some(
            (e) =>
              e.type === 'NotificationDelivered' ||
              (e.type === 'NotificationFailed' && !(e.data as { willRetry?: boolean }).willRetry),
          )
        )
          await this.requests.enqueue(tenantId, id);
      }
      return;
    }
    if (parsed.category !== 'activation') return;
    switch (event.type) {
      case 'RtoBreachProjected': {
        const d = event.data as {
          serverId: string | null;
          projectedMinutes: number;
          targetMinutes: number;
          at: string;
        };
        const { state } = await this.executor.load(event.stream);
        const hostname =
          state.exists && d.serverId !== null
            ? (state.servers[state.index[d.serverId]]?.snapshot.hostname ?? null)
            : null;
        await this.requests.request(
          tenantId,
          notificationId('rto-breach-projected', id, d.serverId ?? 'plan'),
          'rto-breach-projected',
          {
            activationId: id,
            serverId: d.serverId,
            hostname,
            projectedMinutes: d.projectedMinutes,
            targetMinutes: d.targetMinutes,
            projectedAt: d.at,
          },
          event.id,
        );
        return;
      }
      case 'RunbookStepReminded': {
        const d = event.data as { name: string; attempt: number; at: string };
        const { state } = await this.executor.load(event.stream);
        const step = state.exists ? state.steps.find((x) => x.snapshot.name === d.name) : undefined;
        const snapshot = step?.snapshot.kind === 'manual' ? step.snapshot : null;
        await this.requests.request(
          tenantId,
          notificationId('runbook-sign-off-reminder', id, `${d.name}.${d.attempt}`),
          'runbook-sign-off-reminder',
          {
            activationId: id,
            step: d.name,
            instructions: snapshot?.instructions ?? null,
            assignee: snapshot?.assignee ?? null,
            waitingSince: step?.startedAt ?? null,
            signOff: `/api/v1/activations/${id}/steps/${d.name}/sign-off`,
          },
          event.id,
        );
        return;
      }
      case 'ActivationClosed':
      case 'ActivationFailedBack': {
        const { state } = await this.executor.load(event.stream);
        await this.requests.request(
          tenantId,
          notificationId('report-ready', id),
          'report-ready',
          {
            activationId: id,
            activationType: state.exists ? state.type : null,
            testKind: state.exists && state.type === 'test' ? state.kind : null,
            launchedAt: state.exists ? state.launchedAt : null,
            closedAt: (event.data as { at: string }).at,
            report: `/api/v1/activations/${id}/report`,
            reportHtml: `/api/v1/activations/${id}/report?format=html`,
          },
          event.id,
        );
        return;
      }
      default:
        return;
    }
  }
}
