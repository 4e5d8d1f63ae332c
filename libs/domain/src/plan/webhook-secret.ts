import { assertNever, Decider, DomainEvent } from '../shared/decider';

/**
 * The key of a tenant's runbook webhook signatures (Standard Webhooks, HMAC-SHA256). It is shown
 * once, when made; a new one replaces it. The event holds it sealed (the caller encrypts it with the
 * platform key, bound to the tenant), never in clear.
 */
export type WebhookSecretRotated = DomainEvent<'WebhookSecretRotated', { sealed: string; at: string }>;
export type WebhookSecretEvent = WebhookSecretRotated;
export type WebhookSecretCommand = { type: 'RotateWebhookSecret'; sealed: string; at: string };
export interface WebhookSecretState {
  sealed: string | null;
}

/** The context a sealed secret is bound to, so a ciphertext cannot be moved to another tenant. */
export const webhookSecretContext = (tenantId: string) => `webhook-secret:${tenantId}`;

export const webhookSecretDecider: Decider<WebhookSecretCommand, WebhookSecretState, WebhookSecretEvent> = {
  initialState: () => ({ sealed: null }),
  decide(command) {
    switch (command.type) {
      case 'RotateWebhookSecret':
        return [{ type: 'WebhookSecretRotated', data: { sealed: command.sealed, at: command.at } }];
      default:
        return assertNever(command.type);
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'WebhookSecretRotated':
        return { sealed: event.data.sealed };
      default:
        return assertNever(event.type);
    }
  },
};
