import { randomBytes } from 'node:crypto';
import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Environment } from '@reprise/common/config/environment';
import { besideStore, configuredOrKeptSecret } from '@reprise/common/config/secrets';
import type { PersonalDataDeclaration } from '@reprise/domain/shared/personal-data';
import {
  EVENT_STORE,
  RAW_EVENT_STORE,
  type EventStore,
  type Subscription,
} from '@reprise/event-store/event-store.port';
import { PERSONAL_DATA_ERASED, PersonalDataEventStore } from './personal-data-event-store';
import { PersonalDataProtector } from './personal-data-protector';
import { PostgresSubjectKeys } from './postgres-subject-keys';
import { SqliteSubjectKeys, SUBJECT_KEYS, type SubjectKeys } from './subject-keys';

/**
 * The key store beside the event store: with PostgreSQL, a table in its database and schema (shared
 * by every replica on any machine); otherwise a SQLite file (PRIVACY_KEY_STORE_PATH, default next to
 * SQLITE_PATH), shared by the processes of one machine.
 */
export function createSubjectKeys(env: Environment): SubjectKeys {
  const master = configuredOrKeptSecret(env.PRIVACY_MASTER_KEY, besideStore(env, 'privacy-master.key'), () =>
    randomBytes(32).toString('base64'),
  );
  if (master.generated)
    new Logger('Privacy').warn(
      `generated a development privacy master key in ${besideStore(env, 'privacy-master.key')}; set PRIVACY_MASTER_KEY in production`,
    );
  const masterKey = Buffer.from(master.value.trim(), 'base64');
  if (env.EVENT_STORE === 'postgres' && env.PRIVACY_KEY_STORE_PATH === undefined)
    return new PostgresSubjectKeys({
      connectionString: env.POSTGRES_URL as string,
      schema: env.POSTGRES_SCHEMA,
      masterKey,
    });
  return new SqliteSubjectKeys({
    path: env.PRIVACY_KEY_STORE_PATH ?? besideStore(env, 'privacy-keys.db'),
    masterKey,
  });
}

/**
 * Makes every recorded erasure effective: destroys the key of each `PersonalDataErased` subject
 * (the API destroys it as it records the erasure; this follower finishes the job after a crash
 * between the two, in whichever process runs first).
 */
@Injectable()
export class ErasureFollower implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Privacy');
  private subscription: Subscription | null = null;

  constructor(
    @Inject(RAW_EVENT_STORE) private readonly raw: EventStore,
    @Inject(SUBJECT_KEYS) private readonly keys: SubjectKeys,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.raw.subscribe({
      subscriberId: 'privacy-key-destruction',
      streamPrefixes: ['tenant/'],
      handler: async (event) => {
        if (event.type !== PERSONAL_DATA_ERASED) return;
        const { subjectId } = event.data as { subjectId: string };
        if (await this.keys.destroy(subjectId)) this.logger.log(`destroyed the key of subject ${subjectId}`);
      },
      onError: (error, event) =>
        this.logger.error(`key destruction at ${event?.position}: ${(error as Error).message}`),
    });
    await this.subscription.caughtUp;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    await this.keys.close();
  }
}

/**
 * Crypto-shredding of personal data: the per-person key store, and `EVENT_STORE` as the domain
 * uses it (declared personal fields sealed on append, revealed on read) over `RAW_EVENT_STORE`.
 */
@Global()
@Module({})
export class PrivacyModule {
  static forRoot(declaration: PersonalDataDeclaration): DynamicModule {
    return {
      module: PrivacyModule,
      providers: [
        { provide: SUBJECT_KEYS, inject: [Environment], useFactory: createSubjectKeys },
        {
          provide: PersonalDataProtector,
          inject: [SUBJECT_KEYS],
          useFactory: (keys: SubjectKeys) => new PersonalDataProtector(keys, declaration),
        },
        {
          provide: EVENT_STORE,
          inject: [RAW_EVENT_STORE, PersonalDataProtector],
          useFactory: (raw: EventStore, protector: PersonalDataProtector) =>
            new PersonalDataEventStore(raw, protector),
        },
        ErasureFollower,
      ],
      exports: [SUBJECT_KEYS, PersonalDataProtector, EVENT_STORE],
    };
  }
}
