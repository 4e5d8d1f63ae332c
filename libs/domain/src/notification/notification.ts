import { assertNever, type Decider, type DomainEvent } from '@reprise/domain/shared/decider';
import { conflict, validationError } from '@reprise/domain/shared/errors';

/**
 * One notification to a tenant (`tenant/<t>/notification/<id>`): requested once (the id is its
 * de-duplication key, e.g. `report-ready.<activationId>`), then each delivery attempt is recorded
 * (`NotificationDelivered`, or `NotificationFailed` with whether it will be retried). What is
 * recorded never holds a secret: a payload with a secret-looking field is refused.
 */

export type NotificationKindName =
  | 'confirmation-code'
  | 'rto-breach-projected'
  | 'report-ready'
  | 'test-due'
  | 'test-overdue'
  | 'test-postponed'
  | 'activation-status'
  | 'tree-head'
  | 'runbook-sign-off-reminder';

export interface DeliveryOutcome {
  delivered: boolean;
  channel: 'webhook' | 'log';
  /** HTTP attempts the notifier made in this delivery. */
  attempts: number;
  status: number | null;
  error: string | null;
}

interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
}
export type RequestNotification = Command<
  'RequestNotification',
  {
    notificationId: string;
    tenantId: string;
    kind: NotificationKindName;
    payload: Record<string, unknown>;
    at: string;
  }
>;
export type RecordDelivery = Command<
  'RecordDelivery',
  DeliveryOutcome & {
    /** 1-based delivery (job) attempt. */
    delivery: number;
    /** No further delivery will be tried after this one. */
    final: boolean;
    at: string;
  }
>;
export type NotificationCommand = RequestNotification | RecordDelivery;

export type NotificationRequested = DomainEvent<
  'NotificationRequested',
  {
    notificationId: string;
    tenantId: string;
    kind: NotificationKindName;
    payload: Record<string, unknown>;
    at: string;
  }
>;
export type NotificationDelivered = DomainEvent<
  'NotificationDelivered',
  DeliveryOutcome & { kind: NotificationKindName; delivery: number; at: string }
>;
export type NotificationFailed = DomainEvent<
  'NotificationFailed',
  DeliveryOutcome & { kind: NotificationKindName; delivery: number; willRetry: boolean; at: string }
>;
export type NotificationEvent = NotificationRequested | NotificationDelivered | NotificationFailed;

export interface NotificationState {
  exists: boolean;
  id: string | null;
  kind: NotificationKindName | null;
  payload: Record<string, unknown>;
  status: 'none' | 'pending' | 'delivered' | 'failed';
  deliveries: number;
  requestedAt: string | null;
  deliveredAt: string | null;
}

export const initialNotificationState = (): NotificationState => ({
  exists: false,
  id: null,
  kind: null,
  payload: {},
  status: 'none',
  deliveries: 0,
  requestedAt: null,
  deliveredAt: null,
});

export function evolveNotification(state: NotificationState, event: NotificationEvent): NotificationState {
  switch (event.type) {
    case 'NotificationRequested':
      return {
        ...state,
        exists: true,
        id: event.data.notificationId,
        kind: event.data.kind,
        payload: event.data.payload,
        status: 'pending',
        requestedAt: event.data.at,
      };
    case 'NotificationDelivered':
      return {
        ...state,
        exists: true,
        kind: state.kind ?? event.data.kind,
        status: 'delivered',
        deliveries: state.deliveries + 1,
        deliveredAt: event.data.at,
      };
    case 'NotificationFailed':
      return {
        ...state,
        exists: true,
        kind: state.kind ?? event.data.kind,
        status: event.data.willRetry ? 'pending' : 'failed',
        deliveries: state.deliveries + 1,
      };
    default:
      return assertNever(event);
  }
}

const SECRET_KEY = /(^|[-_])(code|secret|token|password|apikey|api-key)$/i;

/** Paths of payload fields whose names look like secrets (never recorded). */
export function secretLookingFields(value: unknown, path = 'payload'): string[] {
  if (!value || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`;
    if (!Array.isArray(value) && SECRET_KEY.test(k)) out.push(p);
    out.push(...secretLookingFields(v, p));
  }
  return out;
}

export function decideNotification(
  command: NotificationCommand,
  state: NotificationState,
): NotificationEvent[] {
  switch (command.type) {
    case 'RequestNotification': {
      if (state.exists) return [];
      const d = command.data;
      const secrets = secretLookingFields(d.payload);
      if (secrets.length)
        throw validationError(
          'secret-in-notification',
          'a recorded notification never carries a secret',
          secrets.map((field) => ({ field, message: 'looks like a secret' })),
        );
      return [
        {
          type: 'NotificationRequested',
          data: {
            notificationId: d.notificationId,
            tenantId: d.tenantId,
            kind: d.kind,
            payload: d.payload,
            at: d.at,
          },
        },
      ];
    }
    case 'RecordDelivery': {
      if (!state.exists || !state.kind) throw conflict('notification-not-requested', 'no such notification');
      if (state.status === 'delivered' || state.status === 'failed') return [];
      const { final, ...d } = command.data;
      const outcome = {
        delivered: d.delivered,
        channel: d.channel,
        attempts: d.attempts,
        status: d.status,
        error: d.error,
      };
      if (d.delivered)
        return [
          {
            type: 'NotificationDelivered',
            data: { kind: state.kind, ...outcome, delivery: d.delivery, at: d.at },
          },
        ];
      return [
        {
          type: 'NotificationFailed',
          data: { kind: state.kind, ...outcome, delivery: d.delivery, willRetry: !final, at: d.at },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export const notificationDecider: Decider<NotificationCommand, NotificationState, NotificationEvent> = {
  decide: decideNotification,
  evolve: evolveNotification,
  initialState: initialNotificationState,
};
