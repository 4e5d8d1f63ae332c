import { runningTest, server, t } from '@reprise/domain/activation/testing/fixtures';
import { CloudPermanentError } from '@reprise/recovery-cloud-client';
import { StepHarness } from '../testing/step-harness';
import { RestoreHandler } from './restore.handler';
import { PowerOnReplica } from './restore/power-on-replica';
import { PresentLun } from './restore/present-lun';
import { RestoreFromBackup } from './restore/restore-from-backup';

const handlerOf = (h: StepHarness) =>
  new RestoreHandler(new RestoreFromBackup(h.steps), new PowerOnReplica(h.steps), new PresentLun(h.steps));

describe('restore step handler (in-memory recovery cloud)', () => {
  describe('from backups', () => {
    it('starts from the newest restore point and restores every disk', async () => {
      const h = new StepHarness(runningTest({ estate: [server('dc')] }));
      h.knowServers(['2024-06-02T02:00:00.000Z', '2024-06-03T02:00:00.000Z']);
      const step = h.due('restore', 'dc');
      await h.run(handlerOf(h), step);
      expect(h.facts()).toEqual(['RecordServerRestoreStarted', 'RecordDiskRestored', 'RecordDiskRestored']);
      expect(h.state.servers[0]).toMatchObject({ phase: 'restored', restorePointId: 'rp-id-dc-2' });
      expect(h.cloud.calls).toEqual([
        { kind: 'restore-disk', idempotencyKey: `${step.key}:disk:c` },
        { kind: 'restore-disk', idempotencyKey: `${step.key}:disk:d` },
      ]);
    });

    it('registers a server the cloud does not know yet, then restores it', async () => {
      const h = new StepHarness(runningTest({ estate: [server('dc')] }));
      await h.run(handlerOf(h), h.due('restore', 'dc'));
      expect(h.cloud.mutatingCalls('register-server')).toBe(1);
      expect(h.state.servers[0].phase).toBe('restored');
    });

    it('resumed after a crash: keeps its restore point and waits for the disk restores the cloud lists', async () => {
      const h = new StepHarness(runningTest({ estate: [server('dc')] })).knowServers();
      const step = h.due('restore', 'dc');
      // The first worker recorded the start and asked for disk c, then died.
      await h.record({
        type: 'RecordServerRestoreStarted',
        data: {
          serverId: 'id-dc',
          attempt: 1,
          restorePointId: 'rp-id-dc-1',
          restorePointTakenAt: t(-360),
          at: t(1),
        },
      });
      await h.cloud.startedEarlier(() =>
        h.cloud.restoreDisk(
          { tenantId: h.state.tenantId, activationId: h.state.id, serverId: 'id-dc', diskName: 'c' },
          { idempotencyKey: `${step.key}:disk:c` },
        ),
      );
      await h.run(handlerOf(h), h.due('restore', 'dc'));
      expect(h.state.servers[0].phase).toBe('restored');
      // One request per disk in all: the listed one was waited for, not asked again.
      expect(h.cloud.calls.map((c) => c.idempotencyKey)).toEqual([
        `${step.key}:disk:c`,
        `${step.key}:disk:d`,
      ]);
    });

    it('no restore point, or a refusal of the cloud: a permanent error with the cloud’s reason', async () => {
      const h = new StepHarness(runningTest({ estate: [server('dc')] }));
      h.knowServers([]);
      await expect(h.run(handlerOf(h), h.due('restore', 'dc'))).rejects.toMatchObject({
        code: 'no-restore-point',
      });
      const full = new StepHarness(runningTest({ estate: [server('dc')] })).knowServers();
      full.cloud.failNext('restore-disk', { code: 'insufficient-datastore', message: 'ds-1 is full' });
      const error = await full.run(handlerOf(full), full.due('restore', 'dc')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CloudPermanentError);
      expect(error).toMatchObject({ code: 'insufficient-datastore' });
      expect(full.state.servers[0].disksRestored).toEqual(['d']); // the other disk went on
    });
  });

  describe('replicated', () => {
    it('vm-replication: powers the replica on, with the replica’s point in time as restore point', async () => {
      const h = new StepHarness(
        runningTest({ estate: [server('db', { recoveryMethod: 'vm-replication' })] }),
      );
      h.knowServers();
      const step = h.due('restore', 'db');
      await h.run(handlerOf(h), step);
      expect(h.facts()).toEqual(['RecordServerRestoreStarted', 'RecordReplicaActivated']);
      expect(h.state.servers[0]).toMatchObject({ phase: 'restored', replicaActivated: true });
      expect(h.state.servers[0].restorePointId).toMatch(/^replica@/);
      expect(h.cloud.calls).toEqual([{ kind: 'power-on-replica', idempotencyKey: `${step.key}:replica` }]);
    });

    it('vm-replication resumed after a crash: waits for the replica the cloud lists, never powers on another', async () => {
      const h = new StepHarness(
        runningTest({ estate: [server('db', { recoveryMethod: 'vm-replication' })] }),
      );
      h.knowServers();
      const step = h.due('restore', 'db');
      await h.cloud.startedEarlier(() =>
        h.cloud.powerOnReplica(
          { tenantId: h.state.tenantId, activationId: h.state.id, serverId: 'id-db' },
          { idempotencyKey: `${step.key}:replica` },
        ),
      );
      await h.run(handlerOf(h), h.due('restore', 'db'));
      expect(h.state.servers[0].phase).toBe('restored');
      expect(h.cloud.mutatingCalls('power-on-replica')).toBe(1);
    });

    it('storage-replication: presents the LUN; its restore point is the replication lag before', async () => {
      const h = new StepHarness(
        runningTest({ estate: [server('fs', { recoveryMethod: 'storage-replication' })] }),
      );
      h.knowServers();
      const step = h.due('restore', 'fs');
      await h.run(handlerOf(h), step);
      expect(h.facts()).toEqual(['RecordServerRestoreStarted', 'RecordServerRestored']);
      const started = h.recorded[0] as Extract<
        (typeof h.recorded)[number],
        { type: 'RecordServerRestoreStarted' }
      >;
      // Presented at the operation's creation, 15 minutes of replication lag.
      expect(Date.parse(started.data.at) - Date.parse(started.data.restorePointTakenAt)).toBe(15 * 60_000);
      expect(h.cloud.calls).toEqual([{ kind: 'present-lun', idempotencyKey: `${step.key}:lun` }]);
    });
  });
});
