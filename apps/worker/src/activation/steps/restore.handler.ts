import { Injectable } from '@nestjs/common';
import type { RecoveryMethod } from '@reprise/domain/activation/activation.types';
import { PowerOnReplica } from './restore/power-on-replica';
import { PresentLun } from './restore/present-lun';
import { RestoreFromBackup } from './restore/restore-from-backup';
import type { RestoreMethod } from './restore/restore-method';
import { HandlesStep, type ServerStepRun, type StepHandler } from './step-handler';

/** Makes a server's disks usable in the recovery space, the way its recovery method says. */
@Injectable()
@HandlesStep('restore')
export class RestoreHandler implements StepHandler {
  private readonly methods: Record<RecoveryMethod, RestoreMethod>;

  constructor(fromBackup: RestoreFromBackup, replica: PowerOnReplica, lun: PresentLun) {
    this.methods = { 'backup-restore': fromBackup, 'vm-replication': replica, 'storage-replication': lun };
  }

  run(run: ServerStepRun): Promise<void> {
    return this.methods[run.server.snapshot.recoveryMethod].restore(run);
  }
}
