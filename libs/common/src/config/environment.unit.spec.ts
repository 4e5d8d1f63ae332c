import { ConfigurationError, validateEnvironment } from './environment';

describe('environment validation', () => {
  it('applies defaults when nothing is set', () => {
    const env = validateEnvironment({});
    expect(env).toMatchObject({
      API_PORT: 3000,
      WORKER_PORT: 3001,
      RECOVERY_CLOUD_PORT: 3100,
      EVENT_STORE: 'sqlite',
      SQLITE_PATH: './data/reprise.db',
    });
  });

  it('converts numbers from strings', () => {
    expect(validateEnvironment({ API_PORT: '8080', SIM_TIME_SCALE: '60' })).toMatchObject({
      API_PORT: 8080,
      SIM_TIME_SCALE: 60,
    });
  });

  it('names every wrong variable and what it expects', () => {
    try {
      validateEnvironment({ API_PORT: 'abc', EVENT_STORE: 'mongo', REDIS_URL: 'not a url' });
      throw new Error('should have failed');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const problems = (error as ConfigurationError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^API_PORT: .*integer.*\(got "abc"\)$/),
          expect.stringMatching(/^EVENT_STORE: .*(sqlite|esdb).*\(got "mongo"\)$/),
          expect.stringMatching(/^REDIS_URL: .*URL.*\(got "not a url"\)$/),
        ]),
      );
    }
  });

  it('requires the EventStoreDB connection string only when EVENT_STORE=esdb', () => {
    expect(() => validateEnvironment({ EVENT_STORE: 'esdb' })).toThrow(
      /EVENTSTORE_CONNECTION_STRING is required when EVENT_STORE=esdb/,
    );
    expect(
      validateEnvironment({
        EVENT_STORE: 'esdb',
        EVENTSTORE_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      }).EVENT_STORE,
    ).toBe('esdb');
  });

  it('requires a postgres:// URL and a plain schema name only when EVENT_STORE=postgres', () => {
    expect(() => validateEnvironment({ EVENT_STORE: 'postgres' })).toThrow(
      /POSTGRES_URL is required when EVENT_STORE=postgres/,
    );
    expect(() => validateEnvironment({ EVENT_STORE: 'postgres', POSTGRES_URL: 'mysql://x/y' })).toThrow(
      /POSTGRES_URL .*\(got "mysql:\/\/x\/y"\)/,
    );
    expect(() =>
      validateEnvironment({
        EVENT_STORE: 'postgres',
        POSTGRES_URL: 'postgres://u@db:5432/reprise',
        POSTGRES_SCHEMA: 'x"; DROP',
      }),
    ).toThrow(/POSTGRES_SCHEMA must be a lower-case identifier/);
    const env = validateEnvironment({ EVENT_STORE: 'postgres', POSTGRES_URL: 'postgresql://u:p@db/reprise' });
    expect([env.EVENT_STORE, env.POSTGRES_URL, env.POSTGRES_SCHEMA]).toEqual([
      'postgres',
      'postgresql://u:p@db/reprise',
      'reprise',
    ]);
    expect(validateEnvironment({}).POSTGRES_URL).toBeUndefined();
  });

  it('reports a required variable that is missing', () => {
    expect(() => validateEnvironment({}, ['REPRISE_ADMIN_TOKEN'])).toThrow(
      /REPRISE_ADMIN_TOKEN: is required \(not set\)/,
    );
    expect(() => validateEnvironment({ REPRISE_ADMIN_TOKEN: 'short' })).toThrow(/at least 16 characters/);
  });

  it('refuses tuning that would stop the engine: no restore or step at a time, a lock too short to renew', () => {
    for (const [name, value] of [
      ['REPRISE_MAX_PARALLEL_RESTORES', '0'],
      ['WORKER_CONCURRENCY', '0'],
      ['REPRISE_STEP_LOCK_MS', '10'],
      ['REPRISE_STALLED_CHECK_MS', '0'],
    ])
      expect(() => validateEnvironment({ [name]: value })).toThrow(
        new RegExp(`${name}: .*\\(got "${value}"\\)`),
      );
    expect(
      validateEnvironment({ REPRISE_MAX_PARALLEL_RESTORES: '4', REPRISE_STEP_LOCK_MS: '8000' }),
    ).toMatchObject({
      REPRISE_MAX_PARALLEL_RESTORES: 4,
      REPRISE_STEP_LOCK_MS: 8000,
    });
  });
});
