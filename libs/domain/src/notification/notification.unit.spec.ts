import { fold } from '@reprise/domain/shared/decider';
import { DomainError } from '@reprise/domain/shared/errors';
import { notificationDecider, type NotificationCommand, type NotificationEvent } from './notification';

const AT = '2026-01-05T09:00:00.000Z';
const request: NotificationCommand = {
  type: 'RequestNotification',
  data: {
    notificationId: 'report-ready.a-1',
    tenantId: 't-1',
    kind: 'report-ready',
    payload: { activationId: 'a-1' },
    at: AT,
  },
};
const requested: NotificationEvent = {
  type: 'NotificationRequested',
  data: {
    notificationId: 'report-ready.a-1',
    tenantId: 't-1',
    kind: 'report-ready',
    payload: { activationId: 'a-1' },
    at: AT,
  },
};
const delivery = (delivered: boolean, final: boolean, n = 1): NotificationCommand => ({
  type: 'RecordDelivery',
  data: {
    delivered,
    channel: 'webhook',
    attempts: delivered ? 1 : 4,
    status: delivered ? 204 : 503,
    error: delivered ? null : 'HTTP 503',
    delivery: n,
    final,
    at: AT,
  },
});
const decide = (events: NotificationEvent[], command: NotificationCommand) =>
  notificationDecider.decide(command, fold(notificationDecider, events));

describe('notification decider', () => {
  it('records the request once (its id is the de-duplication key)', () => {
    expect(decide([], request)).toEqual([requested]);
    expect(decide([requested], request)).toEqual([]);
  });

  it('never records a secret', () => {
    let error: unknown;
    try {
      decide([], {
        ...request,
        data: { ...request.data, payload: { activationId: 'a', code: '1234', nested: { apiToken: 'x' } } },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).details.errors?.map((e) => e.field)).toEqual(['payload.code']);
  });

  it('records each failed delivery, then the success, and nothing after', () => {
    const failed = decide([requested], delivery(false, false));
    expect(failed).toEqual([
      expect.objectContaining({
        type: 'NotificationFailed',
        data: expect.objectContaining({ willRetry: true, status: 503, kind: 'report-ready' }),
      }),
    ]);
    const delivered = decide([requested, ...failed], delivery(true, true, 2));
    expect(delivered).toEqual([
      expect.objectContaining({
        type: 'NotificationDelivered',
        data: expect.objectContaining({ delivery: 2 }),
      }),
    ]);
    expect(decide([requested, ...failed, ...delivered], delivery(true, true, 3))).toEqual([]);
  });

  it('a final failure ends the notification as failed', () => {
    const events = [requested, ...decide([requested], delivery(false, true))];
    expect(fold(notificationDecider, events).status).toBe('failed');
  });
});
