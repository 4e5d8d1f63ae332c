/**
 * `npm run audit:migrate`: brings an event store written before the transparency log under it,
 * once (see apps/worker/src/audit/legacy-migration.ts). Stop the api and the worker first; it reads
 * the same configuration (SQLITE_PATH, PRIVACY_MASTER_KEY or the kept development key...).
 * Exit code 0: migrated (or nothing to do); 1: refused (a pre-log chain is broken) or failed.
 */
import 'reflect-metadata';
import { SystemClock } from '@reprise/common/clock/system-clock';
import { loadEnvironmentOrExit, type Environment } from '@reprise/common/config/environment';
import { PERSONAL_DATA } from '@reprise/domain/personal-data';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import { PersonalDataProtector } from '@reprise/privacy/personal-data-protector';
import { createSubjectKeys } from '@reprise/privacy/privacy.module';
import { migrateLegacyStore, type MigrationReport } from '../apps/worker/src/audit/legacy-migration';

export async function runMigration(env: Environment): Promise<MigrationReport> {
  const store = new SqliteEventStore({ path: env.SQLITE_PATH, clock: new SystemClock() });
  const keys = createSubjectKeys(env);
  try {
    return await migrateLegacyStore(store, new PersonalDataProtector(keys, PERSONAL_DATA), new SystemClock());
  } finally {
    await store.close();
    await keys.close();
  }
}

async function main(): Promise<number> {
  const env = loadEnvironmentOrExit('audit:migrate');
  if (env.EVENT_STORE !== 'sqlite') {
    process.stdout.write(
      'EventStoreDB events cannot be rewritten: events written before the log stay under rule reprise-chain/0 (their chain is still checked, the log covers them from the first signed head; their personal data stays in clear)\n',
    );
    return 0;
  }
  const report = await runMigration(env);
  if (report.refused) {
    const r = report.refused;
    process.stderr.write(
      `migration refused, nothing changed: event seq ${r.seq} (${r.stream}, revision ${r.revision}) does not match its pre-log chain: ${r.reason}\n`,
    );
    return 1;
  }
  process.stdout.write(
    `${report.migrated} events written before the log migrated (${report.encryptedEvents} with personal data now encrypted); recorded for ${report.recorded.length} tenants\n`,
  );
  return 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`audit:migrate failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
