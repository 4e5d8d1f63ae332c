import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ClockModule, HealthModule, LoggingModule, RedisModule, RepriseConfigModule } from '@reprise/common';
import { EventStoreModule } from '@reprise/event-store/event-store.module';
import { ReadModelsModule } from './read-models/read-models.module';

/** The HTTP API: controllers, DTOs and guards; sends commands, runs queries. */
@Module({
  imports: [
    RepriseConfigModule,
    LoggingModule,
    ClockModule,
    EventStoreModule,
    RedisModule,
    CqrsModule.forRoot(),
    HealthModule,
    ReadModelsModule,
  ],
})
export class ApiModule {}
