import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { Environment } from '@reprise/common/config/environment';
import { REDIS } from '@reprise/common/redis/redis.module';

/** 429 with the seconds to wait (the problem filter answers them as `Retry-After` too). */
export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      {
        code: 'too-many-attempts',
        message: `too many failed attempts: try again in ${retryAfterSeconds} s`,
        retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Brute-force throttling of sign-in, in Redis (rate-limiter-flexible) so that the counters hold
 * across every api replica. Failures are counted (a success costs nothing) per account (the
 * sha256 of the e-mail, known or not, so a 429 says nothing about whether it exists) and per client
 * address; once a limit is reached within REPRISE_SIGNIN_WINDOW_MINUTES, that account or address
 * answers 429 (with Retry-After) for a window, before any password is checked. A successful
 * sign-in clears the account's count.
 */
@Injectable()
export class SignInThrottle {
  private readonly byAccount: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;

  constructor(@Inject(REDIS) redis: Redis, env: Environment) {
    const window = env.REPRISE_SIGNIN_WINDOW_MINUTES * 60;
    const limiter = (name: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${env.QUEUE_PREFIX}:auth:failures:${name}`,
        points,
        duration: window,
        blockDuration: window,
      });
    this.byAccount = limiter('account', env.REPRISE_SIGNIN_MAX_FAILURES_PER_ACCOUNT);
    this.byAddress = limiter('address', env.REPRISE_SIGNIN_MAX_FAILURES_PER_ADDRESS);
  }

  /** Throws 429 when the account (if given) or the address has used up its failures. */
  async check(address: string, accountKey?: string): Promise<void> {
    const checks: Array<[RateLimiterRedis, string]> = [[this.byAddress, address]];
    if (accountKey) checks.push([this.byAccount, accountKey]);
    for (const [limiter, key] of checks) {
      const res = await limiter.get(key);
      if (res && res.consumedPoints >= limiter.points) throw new TooManyAttemptsException(seconds(res));
    }
  }

  /** Counts one failure for the address (and the account, if given). */
  async fail(address: string, accountKey?: string): Promise<void> {
    const consume = (limiter: RateLimiterRedis, key: string) =>
      limiter.consume(key).catch((res: unknown) => {
        if (!(res instanceof RateLimiterRes)) throw res;
      });
    await consume(this.byAddress, address);
    if (accountKey) await consume(this.byAccount, accountKey);
  }

  async succeed(accountKey: string): Promise<void> {
    await this.byAccount.delete(accountKey);
  }
}

const seconds = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));
