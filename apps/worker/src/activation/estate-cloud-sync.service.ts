import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { loadEstate } from '@reprise/domain/estate/estate';
import type { ServerState } from '@reprise/domain/estate/server';
import { parseTenantStream } from '@reprise/domain/shared/streams';
import { EVENT_STORE, type EventStore, type Subscription } from '@reprise/event-store/event-store.port';
import { RECOVERY_CLOUD, type RecoveryCloud } from '@reprise/recovery-cloud-client';

/** What the recovery cloud must know of a server for its backup space. */
export function registrationOf(
  tenantId: string,
  server: Pick<ServerState, 'id' | 'hostname' | 'os' | 'disks' | 'template' | 'recoveryMethod'>,
) {
  return {
    tenantId,
    serverId: server.id,
    hostname: server.hostname,
    osFamily: server.os.family,
    disks: server.disks.map((d) => ({ name: d.name, sizeGiB: d.sizeGiB })),
    template: { vcpu: server.template.vcpu, ramGiB: server.template.ramGiB },
    recoveryMethod: server.recoveryMethod,
  };
}

/**
 * Keeps the recovery cloud's backup space in step with the estate: every change of a protected
 * server (enrolment, disks, template, OS) registers the server again under an idempotency key made
 * of its stream revision. Durable checkpoint: a restarted worker resumes where it stopped.
 */
@Injectable()
export class EstateCloudSync implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EstateCloudSync.name);
  private subscription: Subscription | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(RECOVERY_CLOUD) private readonly cloud: RecoveryCloud,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.store.subscribe({
      subscriberId: 'worker-estate-cloud-sync',
      streamPrefixes: ['tenant/'],
      handler: async (event) => {
        const parsed = parseTenantStream(event.stream);
        if (parsed?.category !== 'server') return;
        const [server] = loadEstate(
          await this.store.readStream(event.stream, { maxCount: event.revision + 1 }),
          { includeInactive: true },
        );
        if (!server || server.status === 'decommissioned') return;
        await this.cloud.registerServer(registrationOf(parsed.tenantId, server), {
          idempotencyKey: `register:${server.id}:${event.revision}`,
        });
      },
      onError: (error, event) =>
        this.logger.warn(
          `registering ${event?.stream} with the recovery cloud failed, will retry: ${(error as Error).message}`,
        ),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}
