import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateEnvironment } from '@reprise/common/config/environment';
import { SecretBox } from '@reprise/common/crypto/secret-box';
import type { RunbookStep } from '@reprise/domain/plan/runbook';
import { webhookSecretContext } from '@reprise/domain/plan/webhook-secret';
import {
  bringUp,
  networkUp,
  restoreAll,
  runningTest,
  server,
  t,
} from '@reprise/domain/activation/testing/fixtures';
import { play } from '@reprise/domain/activation/testing/given-when-then';
import { whatIsDue } from '@reprise/domain/activation/activation.workflow';
import type { EventStore } from '@reprise/event-store/event-store.port';
import { StepHarness } from '../../testing/step-harness';
import { CheckHandler } from './check.handler';
import { ManualHandler } from './manual.handler';
import { ScriptHandler } from './script.handler';
import { WebhookHandler } from './webhook.handler';
import { webhookSignature } from './webhook-signature';

const base = { onFailure: 'block', timeoutMinutes: 30, scope: 'all' } as const;
const steps = (url = 'https://hooks.test/h'): RunbookStep[] => [
  {
    ...base,
    name: 'fix',
    kind: 'script',
    after: ['db'],
    server: 'db',
    interpreter: 'bash',
    script: 'fix-it',
  },
  { ...base, name: 'port', kind: 'check', after: ['db'], server: 'db', probe: { tcp: 5432 } },
  { ...base, name: 'closed', kind: 'check', after: ['db'], server: 'db', probe: { tcp: 9 } },
  { ...base, name: 'ok', kind: 'manual', after: ['db'], instructions: 'look', assignee: null },
  {
    ...base,
    name: 'hook',
    kind: 'webhook',
    after: ['db'],
    url,
    method: 'POST',
    body: { a: 1 },
    expectStatus: null,
  },
];

function harness(url?: string): StepHarness {
  const events = play(runningTest({ estate: [server('db')], runbook: steps(url) }), [
    ...restoreAll('db', t(0), t(5)),
    ...networkUp(t(1)),
    ...bringUp('db', t(5), t(8), t(9)),
  ]);
  return new StepHarness(events, t(9)).knowServers();
}
const dueStep = (h: StepHarness, name: string) => {
  const step = whatIsDue(h.state, t(10)).steps.find((s) => s.step === name);
  if (!step) throw new Error(`${name} not due`);
  return step;
};
const statusOf = (h: StepHarness, name: string) => h.state.steps.find((x) => x.snapshot.name === name)!;

describe('runbook step handlers (in-memory recovery cloud)', () => {
  it('script: runs in the server under the step key; a worker that died after the call resumes the same run', async () => {
    const h = harness();
    await h.placeVm('id-db');
    const step = dueStep(h, 'fix');
    // the dead worker had recorded the start and sent the run
    await h.record({ type: 'RecordRunbookStepStarted', data: { name: 'fix', attempt: 1, at: t(10) } });
    const vm = (await h.cloud.listResources(h.state.tenantId, h.state.id)).find((r) => r.kind === 'server')!;
    const first = await h.cloud.guestRun(
      { tenantId: h.state.tenantId, vmId: vm.id, interpreter: 'bash', script: 'fix-it' },
      { idempotencyKey: `${step.key}:guest-run` },
    );
    await h.run(new ScriptHandler(h.steps), step);
    expect(h.cloud.calls.filter((c) => c.kind === 'guest-run')).toEqual([
      { kind: 'guest-run', idempotencyKey: `${step.key}:guest-run` },
      { kind: 'guest-run', idempotencyKey: `${step.key}:guest-run` },
    ]);
    expect((await h.cloud.getOperation(first.operationId)).operationId).toBe(first.operationId);
    expect(statusOf(h, 'fix')).toMatchObject({ outcome: 'done', detail: 'exit 0 in 30 s: ran: fix-it' });
    expect(h.facts()).toEqual(['RecordRunbookStepStarted', 'RecordRunbookStepSucceeded']);
    // a copy of the step taken from the queue later is no longer due: nothing is called
    await h.run(new ScriptHandler(h.steps), step);
    expect(h.cloud.calls.filter((c) => c.kind === 'guest-run')).toHaveLength(2);
  });

  it('script: a non-zero exit code fails the step with its output', async () => {
    const h = harness();
    await h.placeVm('id-db');
    h.cloud.exitCodes.set('fix-it', 3);
    await h.run(new ScriptHandler(h.steps), dueStep(h, 'fix'));
    expect(statusOf(h, 'fix')).toMatchObject({ outcome: 'failed', detail: 'exit 3 after 30 s: ran: fix-it' });
  });

  it('check: a port that answers is done, one that does not fails the step', async () => {
    const h = harness();
    await h.placeVm('id-db');
    await h.run(new CheckHandler(h.steps), dueStep(h, 'port'));
    await h.run(new CheckHandler(h.steps), dueStep(h, 'closed'));
    expect(statusOf(h, 'port')).toMatchObject({ outcome: 'done', detail: 'db:5432 answers' });
    expect(statusOf(h, 'closed')).toMatchObject({ outcome: 'failed', detail: 'db:9 does not answer' });
  });

  it('script or check of a server the cloud does not run fails the step, named', async () => {
    const h = harness();
    await h.run(new CheckHandler(h.steps), dueStep(h, 'port'));
    expect(statusOf(h, 'port')).toMatchObject({
      outcome: 'failed',
      detail: 'db is not running in the recovery space',
    });
  });

  it('manual: records the wait once; the step stays waiting for a person', async () => {
    const h = harness();
    const step = dueStep(h, 'ok');
    await h.run(new ManualHandler(), step);
    await h.run(new ManualHandler(), dueStep(h, 'ok'));
    expect(h.facts()).toEqual(['RecordRunbookStepStarted']);
    expect(statusOf(h, 'ok').startedAt).not.toBeNull();
  });
});

describe('webhook step handler (a local receiver)', () => {
  let receiver: Server;
  let url: string;
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  let answer = 204;
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise((resolve) => receiver.close(resolve)));
  beforeEach(() => {
    received.length = 0;
    answer = 204;
  });

  const box = new SecretBox(randomBytes(32));
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const storeWith = (tenantId: string, sealed: string | null) =>
    ({
      readStream: async () =>
        sealed ? [{ type: 'WebhookSecretRotated', data: { sealed, at: t(0) }, revision: 0 }] : [],
    }) as unknown as EventStore;
  const handler = (h: StepHarness, withSecret = true) =>
    new WebhookHandler(
      storeWith(
        h.state.tenantId,
        withSecret ? box.seal(secret, webhookSecretContext(h.state.tenantId)) : null,
      ),
      box,
      validateEnvironment({}),
    );

  it('signs the call (Standard Webhooks), with the step key as webhook-id and idempotency key', async () => {
    const h = harness(url);
    const step = dueStep(h, 'hook');
    await h.run(handler(h), step);
    expect(received).toHaveLength(1);
    const { headers, body } = received[0];
    expect(headers['webhook-id']).toBe(step.key);
    expect(headers['idempotency-key']).toBe(step.key);
    expect(headers['webhook-signature']).toBe(
      webhookSignature(secret, step.key, Number(headers['webhook-timestamp']), body),
    );
    expect(JSON.parse(body)).toMatchObject({ step: 'hook', activationId: h.state.id, data: { a: 1 } });
    expect(statusOf(h, 'hook')).toMatchObject({ outcome: 'done' });
  });

  it('a 5xx is thrown for the queue to retry (same webhook-id); a 4xx fails the step', async () => {
    const h = harness(url);
    const step = dueStep(h, 'hook');
    answer = 503;
    await expect(h.run(handler(h), step)).rejects.toThrow('answered 503');
    answer = 410;
    await h.run(handler(h), step);
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([step.key, step.key]);
    expect(statusOf(h, 'hook')).toMatchObject({ outcome: 'failed' });
    expect(statusOf(h, 'hook').detail).toContain('answered 410, expected 2xx');
  });

  it('without a secret the step fails, saying how to make one', async () => {
    const h = harness(url);
    await h.run(handler(h, false), dueStep(h, 'hook'));
    expect(received).toHaveLength(0);
    expect(statusOf(h, 'hook').detail).toBe('no webhook secret: make one with POST /plan/runbook/secret');
  });

  it('matches the Standard Webhooks reference signature', () => {
    expect(
      webhookSignature(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
