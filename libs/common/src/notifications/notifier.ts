import { Logger } from '@nestjs/common';

export type NotificationKind =
  | 'confirmation-code'
  | 'rto-breach-projected'
  | 'report-ready'
  | 'test-due'
  | 'test-overdue'
  | 'test-postponed'
  | 'activation-status'
  | 'tree-head';

export interface Notification {
  kind: NotificationKind;
  tenantId: string;
  /** Sent as the webhook's JSON body. */
  payload: Record<string, unknown>;
}

export interface DeliveryResult {
  delivered: boolean;
  channel: 'webhook' | 'log';
  attempts: number;
  status: number | null;
  error: string | null;
}

/** The Notifier port: deliver one notification to a tenant's endpoint. */
export interface Notifier {
  deliver(notification: Notification, target: { webhookUrl: string | null }): Promise<DeliveryResult>;
}

export const NOTIFIER = Symbol('NOTIFIER');

/** Development notifier: writes the notification to the log. */
export class LogNotifier implements Notifier {
  private readonly logger = new Logger('Notifications');
  async deliver(notification: Notification): Promise<DeliveryResult> {
    this.logger.warn(
      `[${notification.tenantId}] ${notification.kind}: ${JSON.stringify(notification.payload)}`,
    );
    return { delivered: true, channel: 'log', attempts: 1, status: null, error: null };
  }
}

/**
 * HTTP webhook notifier: POSTs the payload as JSON, with a timeout and retries with exponential
 * backoff on network errors and 5xx/429 (never on other 4xx). Falls back to the log notifier when
 * the tenant has no webhook.
 */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly options: {
      attempts?: number;
      baseDelayMs?: number;
      timeoutMs?: number;
      fallback?: Notifier;
    } = {},
  ) {}

  async deliver(notification: Notification, target: { webhookUrl: string | null }): Promise<DeliveryResult> {
    if (!target.webhookUrl) return (this.options.fallback ?? new LogNotifier()).deliver(notification, target);
    const attempts = this.options.attempts ?? 4;
    let last: DeliveryResult = {
      delivered: false,
      channel: 'webhook',
      attempts: 0,
      status: null,
      error: null,
    };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(target.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-reprise-notification': notification.kind },
          body: JSON.stringify({ kind: notification.kind, ...notification.payload }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        last = {
          delivered: response.ok,
          channel: 'webhook',
          attempts: attempt,
          status: response.status,
          error: response.ok ? null : `HTTP ${response.status}`,
        };
        if (response.ok) return last;
        if (response.status < 500 && response.status !== 429) return last;
      } catch (error) {
        last = {
          delivered: false,
          channel: 'webhook',
          attempts: attempt,
          status: null,
          error: (error as Error).message,
        };
      }
      if (attempt < attempts)
        await new Promise((r) => setTimeout(r, (this.options.baseDelayMs ?? 250) * 2 ** (attempt - 1)));
    }
    return last;
  }
}
