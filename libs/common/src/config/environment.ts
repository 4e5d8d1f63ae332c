import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
const toNumber = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number.isFinite(Number(value)) ? Number(value) : value;

const PORT = { message: '$property must be an integer port number between 0 and 65535' };

/**
 * Every environment variable Reprise reads, validated at start-up. `.env.example` lists them.
 * A missing or wrong variable stops the app with one line naming it and what it expects.
 */
export class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInt)
  @IsInt(PORT)
  @Min(0, PORT)
  @Max(65535, PORT)
  API_PORT = 3000;

  @Transform(toInt)
  @IsInt(PORT)
  @Min(0, PORT)
  @Max(65535, PORT)
  WORKER_PORT = 3001;

  @Transform(toInt)
  @IsInt(PORT)
  @Min(0, PORT)
  @Max(65535, PORT)
  RECOVERY_CLOUD_PORT = 3100;

  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  RECOVERY_CLOUD_URL = 'http://127.0.0.1:3100';

  @IsUrl({ require_tld: false, protocols: ['redis', 'rediss'] })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prefix of every Reprise key in Redis: queues, sessions (separates environments sharing one Redis). */
  @IsString()
  @MinLength(1)
  QUEUE_PREFIX = 'reprise';

  @IsIn(['sqlite', 'postgres', 'esdb'])
  EVENT_STORE: 'sqlite' | 'postgres' | 'esdb' = 'sqlite';

  @IsString()
  @MinLength(1)
  SQLITE_PATH = './data/reprise.db';

  /** Local SQLite file of this process's read models (rebuildable from the events). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  READ_MODEL_PATH?: string;

  @ValidateIf((env: Environment) => env.EVENT_STORE === 'esdb')
  @IsString()
  @MinLength(1, {
    message:
      'EVENTSTORE_CONNECTION_STRING is required when EVENT_STORE=esdb (e.g. esdb://localhost:2113?tls=false)',
  })
  EVENTSTORE_CONNECTION_STRING?: string;

  @ValidateIf((env: Environment) => env.EVENT_STORE === 'postgres')
  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message:
      'POSTGRES_URL is required when EVENT_STORE=postgres (e.g. postgres://reprise:secret@localhost:5432/reprise)',
  })
  POSTGRES_URL?: string;

  /** Schema of the PostgreSQL event store's tables (several Reprise installations can share a database). */
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, {
    message: 'POSTGRES_SCHEMA must be a lower-case identifier (letters, digits, _; at most 63)',
  })
  POSTGRES_SCHEMA = 'reprise';

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'REPRISE_ADMIN_TOKEN must be at least 16 characters' })
  REPRISE_ADMIN_TOKEN?: string;

  /**
   * Key that encrypts the secrets kept in events (TOTP secrets): 32 bytes as 64 hex characters or
   * base64. Required in production; development and test generate one on first start and keep it
   * next to the event store (`encryption.key`).
   */
  @IsOptional()
  @Matches(/^\s*(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)\s*$/, {
    message:
      'REPRISE_ENCRYPTION_KEY must be 32 random bytes as 64 hex characters or base64 (openssl rand -hex 32)',
  })
  REPRISE_ENCRYPTION_KEY?: string;

  /** A signed-in session ends after this many minutes without a request (default 30). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  REPRISE_SESSION_IDLE_MINUTES = 30;

  /** A signed-in session ends this many hours after sign-in, whatever the activity (default 12). */
  @Transform(toNumber)
  @IsNumber()
  @IsPositive()
  @Max(720)
  REPRISE_SESSION_MAX_HOURS = 12;

  /** An invitation can be accepted for this many hours (default 72). */
  @Transform(toNumber)
  @IsNumber()
  @IsPositive()
  @Max(720)
  REPRISE_INVITATION_TTL_HOURS = 72;

  /** Failed sign-ins allowed per account in a window before it answers 429 (default 10). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REPRISE_SIGNIN_MAX_FAILURES_PER_ACCOUNT = 10;

  /** Failed sign-ins (or invitation tries) allowed per client address in a window (default 50). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REPRISE_SIGNIN_MAX_FAILURES_PER_ADDRESS = 50;

  /** Length of the failed-sign-in window, and of the block once a limit is reached (default 15). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  REPRISE_SIGNIN_WINDOW_MINUTES = 15;

  /**
   * Express `trust proxy`: which proxies may set X-Forwarded-For (the client address throttling
   * counts), e.g. `loopback`, `10.0.0.0/8` or a hop count. Unset: the socket address is the client.
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  TRUST_PROXY?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsIn(['system', 'simulated'])
  CLOCK: 'system' | 'simulated' = 'system';

  @Transform(toNumber)
  @IsNumber()
  @IsPositive()
  SIM_TIME_SCALE = 600;

  /** `scaled`: the simulator's clock runs at SIM_TIME_SCALE; `skip`: it stands still while the engine works and jumps to the next due event when the engine only waits. */
  @IsIn(['scaled', 'skip'])
  SIM_TIME_MODE: 'scaled' | 'skip' = 'scaled';

  @Transform(toInt)
  @IsInt()
  SIM_SEED = 42;

  // Tuning (optional; each module documents its default).
  /** Interface the api listens on (default 0.0.0.0). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  API_HOST?: string;

  /** The built console the api serves at `/` (default: `dist/console` under the project root). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  CONSOLE_DIR?: string;

  /** Interface the worker's /health listens on (default 0.0.0.0). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  WORKER_HOST?: string;

  /** Interface the simulator listens on (default 127.0.0.1). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  RECOVERY_CLOUD_HOST?: string;

  /** Activation steps one worker runs at once (default 64). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WORKER_CONCURRENCY?: number;

  /** Restores in flight per activation (default 16). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REPRISE_MAX_PARALLEL_RESTORES?: number;

  /** Wall ms a step's queue lock lasts (renewed while it runs); a killed worker's steps resume after it (default 5000). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  REPRISE_STEP_LOCK_MS?: number;

  /** Wall ms between checks for steps whose worker died (default 2000). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REPRISE_STALLED_CHECK_MS?: number;

  /** Wall ms between polls of a running cloud operation (default 25). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_CLOUD_POLL_MS?: number;

  /** Wall ms a runbook webhook call may take before it is retried (default 10 000). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(100)
  REPRISE_WEBHOOK_TIMEOUT_MS?: number;

  /** Wall ms between sweeps of live activations: due timers fire on them (default 1000). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_RECONCILE_SWEEP_MS?: number;

  /** Wall ms a burst of facts is coalesced before reconciling (default 5). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_RECONCILE_DELAY_MS?: number;

  /** Wall ms after which due work is enqueued again (default 3000). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_REENQUEUE_MS?: number;

  /** Failback: a server is ready to cut over once less than this is left to send back, MiB (default 1024). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_FAILBACK_CUTOVER_MIB?: number;

  /** Failback: deltas sent back per server before its cut-over, at most (default 5). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  REPRISE_FAILBACK_MAX_DELTAS?: number;

  /** How long a close waits for the worker before answering (default 20000). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_SETTLE_TIMEOUT_MS?: number;

  /** Wall ms between test-scheduler ticks. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_SCHEDULE_TICK_MS?: number;

  /** Wall ms between compliance/notification sweeps. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_COMPLIANCE_EVERY_MS?: number;

  /** How far ahead the default test cadence plans (days). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  REPRISE_CADENCE_HORIZON_DAYS?: number;

  /** `off` disables the default test cadence (semi-annual DRP test, yearly restore test). */
  @IsOptional()
  @IsIn(['on', 'off'])
  REPRISE_DEFAULT_CADENCE?: 'on' | 'off';

  // Audit log and personal data (issue 10).
  /**
   * Ed25519 key that signs the tenants' tree heads (PKCS#8 PEM, or base64). Required in production;
   * elsewhere generated on first start and kept in `audit-signing-key.pem` next to SQLITE_PATH.
   */
  @ValidateIf((env: Environment) => env.NODE_ENV === 'production' || env.AUDIT_SIGNING_KEY !== undefined)
  @IsString({
    message: 'AUDIT_SIGNING_KEY is required in production (an Ed25519 private key, PEM or base64)',
  })
  @MinLength(40, { message: 'AUDIT_SIGNING_KEY must be an Ed25519 private key (PEM or base64)' })
  AUDIT_SIGNING_KEY?: string;

  /** Earlier signing keys' public halves still trusted by verification (comma-separated, base64 SPKI or raw). */
  @IsOptional()
  @IsString()
  AUDIT_TRUSTED_PUBLIC_KEYS?: string;

  /** A tree head is signed this often when a tenant's log grew (and at the end of each activation). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  AUDIT_TREE_HEAD_INTERVAL_SECONDS = 60;

  /** Directory the signed tree heads are also written to (default `tree-heads/` next to SQLITE_PATH). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  AUDIT_TREE_HEAD_SINK_DIR?: string;

  /**
   * 32-byte key (base64) protecting the personal-data key store. Required in production; elsewhere
   * generated on first start and kept in `privacy-master.key` next to SQLITE_PATH.
   */
  @ValidateIf((env: Environment) => env.NODE_ENV === 'production' || env.PRIVACY_MASTER_KEY !== undefined)
  @Matches(/^[A-Za-z0-9+/]{43}=$/, {
    message:
      'PRIVACY_MASTER_KEY is required in production: 32 random bytes in base64 (openssl rand -base64 32)',
  })
  PRIVACY_MASTER_KEY?: string;

  /**
   * SQLite file of the per-person keys. Default: with EVENT_STORE=postgres, the `subject_keys` table in
   * POSTGRES_SCHEMA (shared by every replica); otherwise `privacy-keys.db` next to SQLITE_PATH.
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  PRIVACY_KEY_STORE_PATH?: string;
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

/** Validates `raw` (usually `process.env`) and returns the typed environment, or throws ConfigurationError. */
export function validateEnvironment(
  raw: Record<string, unknown>,
  required: (keyof Environment)[] = [],
): Environment {
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const problems: string[] = [];
  for (const error of validateSync(env, { skipMissingProperties: false, whitelist: false })) {
    const value = (raw as Record<string, unknown>)[error.property];
    const messages = Object.values(error.constraints ?? {});
    problems.push(
      `${error.property}: ${messages[0]}${value === undefined ? ' (not set)' : ` (got "${String(value)}")`}`,
    );
  }
  for (const key of required) {
    if (env[key] === undefined || env[key] === '') problems.push(`${key}: is required (not set)`);
  }
  if (problems.length) throw new ConfigurationError(problems);
  return env;
}

/**
 * For `main.ts`: validate the process environment or stop with one clear line per problem.
 */
export function loadEnvironmentOrExit(app: string, required: (keyof Environment)[] = []): Environment {
  try {
    return validateEnvironment(process.env, required);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      for (const problem of error.problems)
        process.stderr.write(`[${app}] configuration error: ${problem}\n`);
      process.exit(1);
    }
    throw error;
  }
}
