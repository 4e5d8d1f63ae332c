import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Environment, validateEnvironment } from './environment';

/**
 * @nestjs/config, validated with the Environment DTO. Inject `ConfigService<Environment, true>`
 * or the typed `Environment` directly.
 */
@Global()
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      envFilePath: ['.env'],
      validate: (raw) => ({ ...validateEnvironment(raw) }),
    }),
  ],
  providers: [
    {
      provide: Environment,
      useFactory: () => validateEnvironment(process.env),
    },
  ],
  exports: [Environment],
})
export class RepriseConfigModule {}
