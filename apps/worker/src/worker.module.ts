import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import {
  ClockModule,
  CompletionsModule,
  Environment,
  HealthModule,
  LoggingModule,
  RedisModule,
  RepriseConfigModule,
} from '@reprise/common';
import { PERSONAL_DATA } from '@reprise/domain/personal-data';
import { EventStoreModule } from '@reprise/event-store/event-store.module';
import { PrivacyModule } from '@reprise/privacy/privacy.module';
import { QueueName } from '@reprise/jobs';
import { ActivationEngineModule } from './activation/activation-engine.module';
import { AuditLogModule } from './audit/audit-log.module';
import { NotificationsModule } from './notifications/notifications.module';
import { SchedulingModule } from './scheduling/scheduling.module';

/** BullMQ processors and the activation process manager. HTTP only for /health. */
@Module({
  imports: [
    RepriseConfigModule,
    LoggingModule,
    ClockModule.forRoot(),
    EventStoreModule,
    PrivacyModule.forRoot(PERSONAL_DATA),
    CompletionsModule.forApp('worker'),
    RedisModule,
    HealthModule,
    BullModule.forRootAsync({
      inject: [Environment],
      useFactory: (env: Environment) => {
        const url = new URL(env.REDIS_URL);
        return {
          prefix: env.QUEUE_PREFIX,
          connection: {
            host: url.hostname,
            port: Number(url.port || 6379),
            username: url.username || undefined,
            password: url.password || undefined,
            db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
            tls: url.protocol === 'rediss:' ? {} : undefined,
          },
        };
      },
    }),
    BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name }))),
    ActivationEngineModule,
    NotificationsModule,
    SchedulingModule,
    AuditLogModule,
  ],
})
export class WorkerModule {}
