import type { ActivationCommand } from '@reprise/domain/activation/activation.commands';
import { restoreAll, runningTest, server, t } from '@reprise/domain/activation/testing/fixtures';
import { play } from '@reprise/domain/activation/testing/given-when-then';
import { CloudPermanentError } from '@reprise/recovery-cloud-client';
import { StepHarness } from '../testing/step-harness';
import { BootHandler } from './boot.handler';

/** A harness whose only server is restored (its method's way) and ready to boot. */
function restored(method: 'backup-restore' | 'vm-replication' | 'storage-replication' = 'backup-restore') {
  const estate = [server('app', { recoveryMethod: method, antiAffinityGroup: 'web' })];
  const facts: ActivationCommand[] =
    method === 'backup-restore'
      ? restoreAll('app', t(0), t(5))
      : [
          {
            type: 'RecordServerRestoreStarted',
            data: {
              serverId: 'id-app',
              attempt: 1,
              restorePointId: 'rp',
              restorePointTakenAt: t(-5),
              at: t(0),
            },
          },
          {
            type: method === 'vm-replication' ? 'RecordReplicaActivated' : 'RecordServerRestored',
            data: { serverId: 'id-app', attempt: 1, at: t(5) },
          },
        ];
  return new StepHarness(play(runningTest({ estate }), facts), t(5)).knowServers();
}

describe('boot step handler (in-memory recovery cloud)', () => {
  it('places the VM with its template and anti-affinity group, then powers it on', async () => {
    const h = restored();
    const step = h.due('boot', 'app');
    await h.run(new BootHandler(h.steps), step);
    expect(h.facts()).toEqual(['RecordServerBootStarted', 'RecordServerBooted']);
    expect(h.state.servers[0]).toMatchObject({ phase: 'checking', host: 'host-1' });
    expect(h.cloud.calls).toEqual([
      { kind: 'create-server', idempotencyKey: `${step.key}:create` },
      { kind: 'power-on', idempotencyKey: `${step.key}:power-on` },
    ]);
  });

  it('an abort recorded while the VM is being placed: the placement is recorded, nothing is powered on', async () => {
    const h = restored();
    const step = h.due('boot', 'app');
    const place = h.cloud.createServer.bind(h.cloud);
    h.cloud.createServer = async (...args: Parameters<typeof place>) => {
      const operation = await place(...args);
      await h.record({
        type: 'AbortActivation',
        data: { reason: 'wrong plan', by: { name: 'Ada', email: 'ada@example.com' }, at: h.now() },
      });
      return operation;
    };
    await h.run(new BootHandler(h.steps), step);
    expect(h.facts()).toEqual(['AbortActivation', 'RecordServerBootStarted']);
    expect(h.cloud.mutatingCalls('power-on')).toBe(0);
  });

  it('resumed after a crash: powers on the VM the cloud lists instead of placing another', async () => {
    const h = restored();
    const step = h.due('boot', 'app');
    const created = await h.cloud.createServer(
      { tenantId: h.state.tenantId, activationId: h.state.id, serverId: 'id-app' },
      { idempotencyKey: `${step.key}:create` },
    );
    await h.record({
      type: 'RecordServerBootStarted',
      data: { serverId: 'id-app', attempt: 1, host: 'host-1', at: created.createdAt },
    });
    await h.run(new BootHandler(h.steps), h.due('boot', 'app'));
    expect(h.state.servers[0].phase).toBe('checking');
    expect(h.cloud.mutatingCalls('create-server')).toBe(1);
  });

  it('a powered-on replica is already placed and running: nothing is asked of the cloud', async () => {
    const h = restored('vm-replication');
    await h.cloud.powerOnReplica(
      { tenantId: h.state.tenantId, activationId: h.state.id, serverId: 'id-app' },
      { idempotencyKey: 'earlier' },
    );
    await h.run(new BootHandler(h.steps), h.due('boot', 'app'));
    expect(h.facts()).toEqual(['RecordServerBootStarted', 'RecordServerBooted']);
    expect(h.cloud.mutatingCalls('create-server') + h.cloud.mutatingCalls('power-on')).toBe(0);
  });

  it('a presented LUN is attached to the VM it places', async () => {
    const h = restored('storage-replication');
    await h.cloud.presentLun(
      { tenantId: h.state.tenantId, activationId: h.state.id, serverId: 'id-app' },
      { idempotencyKey: 'earlier' },
    );
    await h.run(new BootHandler(h.steps), h.due('boot', 'app'));
    const vm = h.cloud.listed().find((r) => r.kind === 'server');
    expect(vm?.lunId).toBe(h.cloud.listed().find((r) => r.kind === 'lun')?.id);
    expect(h.state.servers[0].phase).toBe('checking');
  });

  it('a placement refused for lack of capacity is a permanent error with the cloud’s reason', async () => {
    const h = restored();
    h.cloud.failNext('create-server', {
      code: 'insufficient-ram',
      message: 'server app needs 8 GiB RAM; the roomiest host esx-1 has 2 GiB free under the 85% RAM cap',
    });
    const error = await h.run(new BootHandler(h.steps), h.due('boot', 'app')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudPermanentError);
    expect(error).toMatchObject({ code: 'insufficient-ram' });
    expect(h.facts()).toEqual([]);
  });
});
