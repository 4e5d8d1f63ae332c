import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AUDIT_TREES, MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { AUDIT_KEYS, loadAuditKeys } from '@reprise/common/config/audit-keys';
import { Environment } from '@reprise/common/config/environment';
import { tenantOfStream } from '@reprise/domain/shared/streams';
import { auditTreesPath } from '@reprise/event-store/event-store.module';
import { logEpochOf, RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { AuditLogService } from './audit-log.service';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** The auditor's tamper-evident history: events, signed tree heads, proofs, verification, export. */
@Module({
  controllers: [AuditController],
  providers: [
    { provide: AUDIT_KEYS, inject: [Environment], useFactory: (env: Environment) => loadAuditKeys(env) },
    {
      provide: AUDIT_TREES,
      inject: [RAW_EVENT_STORE, Environment],
      useFactory: async (raw: EventStore, env: Environment) => {
        return new MerkleTrees(raw, {
          path: auditTreesPath(env, 'api'),
          logOf: tenantOfStream,
          epoch: await logEpochOf(raw),
        });
      },
    },
    AuditService,
    AuditLogService,
  ],
  exports: [AuditService, AuditLogService],
})
export class AuditModule implements OnApplicationShutdown {
  constructor(@Inject(AUDIT_TREES) private readonly trees: MerkleTrees) {}

  async onApplicationShutdown(): Promise<void> {
    await this.trees.stop();
  }
}
