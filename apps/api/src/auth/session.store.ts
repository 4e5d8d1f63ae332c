import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { Environment } from '@reprise/common/config/environment';
import { REDIS } from '@reprise/common/redis/redis.module';
import type { TenantRole } from '@reprise/domain/tenant/api-key';
import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { READ_MODELS } from '../read-models/read-models.module';
import { userStatusIn } from '../users/users.projection';

/** Who a session belongs to (copied at sign-in from the user's stream). */
export interface SessionUser {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  role: TenantRole;
}

export interface Session {
  /** sha256 of the cookie value: what Redis keys hold (the cookie value itself is never stored). */
  key: string;
  user: SessionUser;
  /** Synchronizer token: cookie-authenticated writes must send it as `x-csrf-token`. */
  csrfToken: string;
  createdAt: number;
  /** Absolute end (REPRISE_SESSION_MAX_HOURS after sign-in), epoch ms. */
  expiresAt: number;
}

/** The password step passed, the TOTP step not yet. */
export interface Challenge {
  emailKey: string;
  userId: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

/** Wrong codes allowed on one challenge before the password must be given again. */
export const CHALLENGE_ATTEMPTS = 5;
const CHALLENGE_TTL_MS = 5 * 60_000;

/**
 * Sessions and sign-in challenges in Redis, so that every api replica sees the same ones and a
 * session ends everywhere at once (sign-out, user disabled). Keys hold only the sha256 of the
 * cookie or challenge value. A session expires after REPRISE_SESSION_IDLE_MINUTES without a request
 * (each request slides it) and REPRISE_SESSION_MAX_HOURS after sign-in in any case; each user has
 * a set of their session keys so that all of them can be revoked.
 */
@Injectable()
export class SessionStore {
  private readonly prefix: string;
  private readonly idleMs: number;
  private readonly maxMs: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
    env: Environment,
  ) {
    this.prefix = `${env.QUEUE_PREFIX}:auth`;
    this.idleMs = env.REPRISE_SESSION_IDLE_MINUTES * 60_000;
    this.maxMs = Math.round(env.REPRISE_SESSION_MAX_HOURS * 3_600_000);
  }

  private sessionKey = (key: string) => `${this.prefix}:session:${key}`;
  private userKey = (userId: string) => `${this.prefix}:user-sessions:${userId}`;
  private challengeKey = (key: string) => `${this.prefix}:challenge:${key}`;

  /** A new session (new id: never one the client chose); returns the cookie value once. */
  async create(user: SessionUser, nowMs = Date.now()): Promise<{ cookie: string; session: Session }> {
    const cookie = newSecret();
    const session: Session = {
      key: sha256(cookie),
      user,
      csrfToken: newSecret(),
      createdAt: nowMs,
      expiresAt: nowMs + this.maxMs,
    };
    await this.redis
      .multi()
      .set(this.sessionKey(session.key), JSON.stringify(session), 'PX', Math.min(this.idleMs, this.maxMs))
      .sadd(this.userKey(user.id), session.key)
      .pexpire(this.userKey(user.id), this.maxMs)
      .exec();
    return { cookie, session };
  }

  /** The live session for a cookie value (and slides its idle timeout), or null. */
  find(cookie: string, nowMs = Date.now()): Promise<Session | null> {
    if (!cookie || cookie.length > 100) return Promise.resolve(null);
    return this.live(sha256(cookie), nowMs);
  }

  /**
   * The one answer to "is this session still good?": it exists (not signed out, not revoked, used
   * within the idle timeout, which this use slides), it is younger than its maximum age, and its
   * user is not disabled as far as this replica knows (which covers a crash between disabling a
   * user and ending their sessions). Anything else ends the session and answers null.
   */
  async live(key: string, nowMs = Date.now()): Promise<Session | null> {
    // One round trip: read and slide the idle timeout (GETEX, Redis 6.2+).
    const raw = await this.redis.getex(this.sessionKey(key), 'PX', this.idleMs);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    if (session.expiresAt <= nowMs || userStatusIn(this.readModels.db, session.user.id) === 'disabled') {
      await this.revoke(session);
      return null;
    }
    return session;
  }

  /** When the session ends if no request comes (epoch ms). */
  idleExpiry(session: Session, nowMs = Date.now()): number {
    return Math.min(nowMs + this.idleMs, session.expiresAt);
  }

  async revoke(session: Pick<Session, 'key' | 'user'>): Promise<void> {
    await this.redis
      .multi()
      .del(this.sessionKey(session.key))
      .srem(this.userKey(session.user.id), session.key)
      .exec();
  }

  /** Ends every session of a user (disabled): on every replica at once. */
  async revokeAll(userId: string): Promise<number> {
    const keys = await this.redis.smembers(this.userKey(userId));
    const multi = this.redis.multi();
    for (const key of keys) multi.del(this.sessionKey(key));
    await multi.del(this.userKey(userId)).exec();
    return keys.length;
  }

  async createChallenge(challenge: Challenge): Promise<string> {
    const value = newSecret();
    await this.redis
      .multi()
      .hset(this.challengeKey(sha256(value)), { ...challenge, failures: 0 })
      .pexpire(this.challengeKey(sha256(value)), CHALLENGE_TTL_MS)
      .exec();
    return value;
  }

  async findChallenge(value: string): Promise<Challenge | null> {
    if (!value || value.length > 100) return null;
    const raw = await this.redis.hgetall(this.challengeKey(sha256(value)));
    if (!raw.emailKey || !raw.userId) return null;
    return { emailKey: raw.emailKey, userId: raw.userId };
  }

  /** Counts a wrong code on the challenge; after CHALLENGE_ATTEMPTS the challenge is gone. */
  async failChallenge(value: string): Promise<void> {
    await this.redis.eval(
      `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
       local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
       if n >= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) end
       return n`,
      1,
      this.challengeKey(sha256(value)),
      CHALLENGE_ATTEMPTS,
    );
  }

  async dropChallenge(value: string): Promise<void> {
    await this.redis.del(this.challengeKey(sha256(value)));
  }
}
