import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { REDIS } from '../redis/redis.module';

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref(),
    ),
  ]);

@Injectable()
export class DependenciesHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async eventStore() {
    const check = this.indicators.check('eventStore');
    try {
      await withTimeout(this.store.ping(), 2000);
      return check.up({ adapter: this.store.constructor.name });
    } catch (error) {
      return check.down({ message: (error as Error).message });
    }
  }

  async redisPing() {
    const check = this.indicators.check('redis');
    try {
      const answer = await withTimeout(this.redis.ping(), 2000);
      return check.up({ answer });
    } catch (error) {
      return check.down({ message: (error as Error).message });
    }
  }
}

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly deps: DependenciesHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.deps.eventStore(), () => this.deps.redisPing()]);
  }
}

/** `GET /health`: checks the event store and Redis (api and worker). */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [DependenciesHealthIndicator],
})
export class HealthModule {}
