import { CloudPermanentError, CloudTransientError } from './errors';
import { HttpRecoveryCloud } from './http-recovery-cloud';
import { HttpTransportError, type HttpTransport } from './http-transport';

type Step = { status: number; body?: unknown } | 'network-error';

function fakeCloud(steps: Step[]) {
  const seen: { url: string; key: string | undefined; body: string | undefined }[] = [];
  const delays: number[] = [];
  const transport: HttpTransport = {
    send: async ({ path, headers, body }) => {
      seen.push({ url: `http://cloud.test${path}`, key: headers['idempotency-key'], body });
      const step = steps.shift() ?? { status: 500 };
      if (step === 'network-error') throw new HttpTransportError('network', 'network error: ECONNRESET');
      return { status: step.status, text: step.body === undefined ? '' : JSON.stringify(step.body) };
    },
    close: async () => undefined,
  };
  const cloud = new HttpRecoveryCloud({
    baseUrl: 'http://cloud.test/',
    transport,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 },
  });
  return { cloud, seen, delays };
}

const op = { operationId: 'op-1', kind: 'create-network', status: 'running' };

describe('HttpRecoveryCloud retry policy', () => {
  it('retries 5xx and network errors with exponential back-off, reusing the idempotency key', async () => {
    const { cloud, seen, delays } = fakeCloud([
      { status: 503 },
      'network-error',
      { status: 500 },
      { status: 202, body: op },
    ]);
    const result = await cloud.createNetwork(
      { tenantId: 't 1', activationId: 'a1' },
      { idempotencyKey: 'a1/net/1' },
    );
    expect(result.operationId).toBe('op-1');
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((s) => s.key))).toEqual(new Set(['a1/net/1']));
    expect(new Set(seen.map((s) => s.body))).toEqual(new Set([JSON.stringify({ activationId: 'a1' })]));
    expect(seen[0].url).toBe('http://cloud.test/cloud/v1/tenants/t%201/networks');
    // equal jitter with random 0.5: 3/4 of 100, 200, 400
    expect(delays).toEqual([75, 150, 300]);
  });

  it('does not retry a 4xx', async () => {
    const { cloud, seen } = fakeCloud([
      { status: 409, body: { code: 'server-not-ready', message: 'vm-1 is creating' } },
      { status: 202, body: op },
    ]);
    const error = await cloud
      .powerOn({ tenantId: 't', vmId: 'vm-1' }, { idempotencyKey: 'k' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudPermanentError);
    expect(error).toMatchObject({ code: 'server-not-ready', status: 409, message: 'vm-1 is creating' });
    expect(seen).toHaveLength(1);
  });

  it('raises CloudTransientError once the attempts are exhausted', async () => {
    const { cloud, seen, delays } = fakeCloud([]);
    const error = await cloud.getOperation('op-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudTransientError);
    expect(error).toMatchObject({ attempts: 5, lastStatus: 500, transient: true });
    expect(seen).toHaveLength(5);
    expect(delays).toEqual([75, 150, 300, 600]);
  });

  it('refuses a mutating call without an idempotency key', async () => {
    const { cloud, seen } = fakeCloud([]);
    await expect(
      cloud.teardown({ tenantId: 't', activationId: 'a' }, { idempotencyKey: '' }),
    ).rejects.toBeInstanceOf(CloudPermanentError);
    expect(seen).toHaveLength(0);
  });
});
