import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import {
  ClockModule,
  CompletionsModule,
  HealthModule,
  LoggingModule,
  RedisModule,
  RepriseConfigModule,
} from '@reprise/common';
import { PERSONAL_DATA } from '@reprise/domain/personal-data';
import { EventStoreModule } from '@reprise/event-store/event-store.module';
import { PrivacyModule } from '@reprise/privacy/privacy.module';
import { ReadModelsModule } from './read-models/read-models.module';
import { AuthModule } from './auth/auth.module';
import { TenantsModule } from './tenants/tenants.module';
import { UsersModule } from './users/users.module';
import { EstateModule } from './estate/estate.module';
import { PlanModule } from './plan/plan.module';
import { ActivationsModule } from './activations/activations.module';
import { RecoverySpaceModule } from './recovery-space/recovery-space.module';
import { ReportsModule } from './reports/reports.module';
import { AuditModule } from './audit/audit.module';
import { PrivacyRoutesModule } from './privacy/privacy.module';
import { SchedulesModule } from './schedules/schedules.module';
import { ComplianceModule } from './compliance/compliance.module';

/** The HTTP API: controllers, DTOs and guards; sends commands, runs queries. */
@Module({
  imports: [
    RepriseConfigModule,
    LoggingModule,
    ClockModule.forRoot(),
    EventStoreModule,
    PrivacyModule.forRoot(PERSONAL_DATA),
    CompletionsModule.forApp('api'),
    RedisModule,
    CqrsModule.forRoot(),
    HealthModule,
    ReadModelsModule,
    AuthModule,
    TenantsModule,
    UsersModule,
    EstateModule,
    PlanModule,
    ActivationsModule,
    RecoverySpaceModule,
    ReportsModule,
    AuditModule,
    PrivacyRoutesModule,
    SchedulesModule,
    ComplianceModule,
  ],
})
export class ApiModule {}
