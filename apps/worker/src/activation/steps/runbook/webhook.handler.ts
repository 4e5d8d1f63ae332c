import { Inject, Injectable } from '@nestjs/common';
import { request } from 'undici';
import { Environment } from '@reprise/common/config/environment';
import { SECRET_BOX, type SecretBox } from '@reprise/common/crypto/secret-box';
import { webhookSecretContext, webhookSecretDecider } from '@reprise/domain/plan/webhook-secret';
import { streams } from '@reprise/domain/shared/streams';
import { loadAggregate } from '@reprise/event-store/command-handling';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { failed, markStarted, runbookStepOf, succeeded } from './runbook-step';
import { webhookHeaders } from './webhook-signature';

/**
 * A webhook step: one signed HTTP call (Standard Webhooks headers, keyed by the tenant's secret).
 * `webhook-id` is the step's key, the same on every retry and after a crash, so the receiver
 * de-duplicates a delivery repeated because the worker died before recording it. A 5xx or a
 * network error is retried by the queue with backoff (and recorded as the step's failure after the
 * last retry); another status than expected fails the step at once; the step's timeout caps it all.
 */
@Injectable()
@HandlesStep('webhook')
export class WebhookHandler implements StepHandler {
  private readonly timeoutMs: number;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    env: Environment,
  ) {
    this.timeoutMs = env.REPRISE_WEBHOOK_TIMEOUT_MS ?? 10_000;
  }

  async run(run: StepRun): Promise<void> {
    const step = runbookStepOf(run);
    if (step.snapshot.kind !== 'webhook') throw new Error(`${step.snapshot.name} is no webhook step`);
    await markStarted(run, step);
    const secret = await this.secret(run.tenantId);
    if (!secret)
      return void (await failed(run, step, 'no webhook secret: make one with POST /plan/runbook/secret'));
    const { url, method, expectStatus } = step.snapshot;
    const body = JSON.stringify({
      type: 'runbook.step',
      activationId: run.activationId,
      step: step.snapshot.name,
      attempt: step.attempt,
      data: step.snapshot.body ?? {},
    });
    // The signature's timestamp is wall time: receivers check it against their own clocks.
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await request(url, {
      method,
      headers: {
        'content-type': 'application/json',
        'idempotency-key': run.step.key,
        ...webhookHeaders(secret, run.step.key, timestamp, body),
      },
      body: method === 'GET' ? undefined : body,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    await response.body.text();
    const status = response.statusCode;
    if (status >= 500) throw new Error(`${method} ${url} answered ${status}`);
    const ok = expectStatus === null ? status >= 200 && status < 300 : status === expectStatus;
    if (ok) await succeeded(run, step, `${method} ${url}: ${status}`);
    else await failed(run, step, `${method} ${url} answered ${status}, expected ${expectStatus ?? '2xx'}`);
  }

  private async secret(tenantId: string): Promise<string | null> {
    const loaded = await loadAggregate(this.store, streams.webhookSecret(tenantId), webhookSecretDecider);
    const sealed = loaded?.state.sealed;
    return sealed ? this.secrets.open(sealed, webhookSecretContext(tenantId)) : null;
  }
}
