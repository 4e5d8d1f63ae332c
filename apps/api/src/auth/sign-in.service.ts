import { Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { SECRET_BOX, type SecretBox } from '@reprise/common/crypto/secret-box';
import type { Clock } from '@reprise/domain/shared/clock';
import { DomainError, validationError } from '@reprise/domain/shared/errors';
import { streams } from '@reprise/domain/shared/streams';
import { PASSWORD_RULE, passwordProblem } from '@reprise/domain/user/password-policy';
import { invitationRefusal, userDecider, type User } from '@reprise/domain/user/user';
import { handleCommand, loadAggregate } from '@reprise/event-store/command-handling';
import {
  EVENT_STORE,
  WrongExpectedVersionError,
  type EventStore,
} from '@reprise/event-store/event-store.port';
import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { READ_MODELS } from '../read-models/read-models.module';
import { metadataFor, userActor, type RequestWithActor } from './actor';
import { hashPassword, verifyPassword } from './passwords';
import { SessionStore, type Session, type SessionUser } from './session.store';
import { SignInThrottle } from './sign-in.throttle';
import { emailKeyOf, hashToken, invitationEmailKey } from './tokens';
import { newTotpSecret, otpauthUri, totpStepOf } from './totp';
import { WALL_CLOCK } from './wall-clock';

const invalidCredentials = () =>
  new UnauthorizedException({ code: 'invalid-credentials', message: 'wrong e-mail or password' });

const sessionUserOf = (user: User): SessionUser => ({
  id: user.userId,
  tenantId: user.tenantId,
  email: user.email,
  name: user.name,
  role: user.role,
});

/**
 * Sign-in of named users: accept an invitation (password + TOTP enrolment), then password →
 * challenge → TOTP code → session. Every step reads the user's own stream (not a read model), so a
 * user enrolled through one api replica signs in through another at once. Failures are counted by
 * SignInThrottle (per account and per address) and logged; they never say whether an e-mail exists.
 */
@Injectable()
export class SignInService {
  private readonly logger = new Logger('SignIn');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
    @Inject(WALL_CLOCK) private readonly clock: Clock,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    private readonly sessions: SessionStore,
    private readonly throttle: SignInThrottle,
  ) {}

  private load(emailKey: string) {
    return loadAggregate(this.store, streams.user(emailKey), userDecider);
  }

  private metadata(user: SessionUser, request: Request) {
    return metadataFor(userActor(user, null), request as RequestWithActor);
  }

  async acceptInvitation(token: string, password: string, request: Request) {
    const address = clientAddress(request);
    await this.throttle.check(address);
    const emailKey = invitationEmailKey(token);
    const invitationHash = hashToken(token);
    const now = this.clock.now().toISOString();
    const loaded = emailKey ? await this.load(emailKey) : null;
    const refusal = invitationRefusal(loaded?.state ?? null, invitationHash, now);
    if (refusal) {
      await this.throttle.fail(address);
      this.logger.warn(`invitation refused (${refusal.code}) from ${address}`);
      throw refusal;
    }
    const user = loaded!.state!;
    const problem = passwordProblem(password, { email: user.email, name: user.name });
    if (problem)
      throw validationError('weak-password', `the password is refused: ${PASSWORD_RULE}`, [
        { field: 'password', message: problem },
      ]);
    const totpSecret = newTotpSecret();
    const result = await handleCommand(
      this.store,
      streams.user(emailKey!),
      userDecider,
      {
        type: 'AcceptInvitation',
        invitationHash,
        passwordHash: await hashPassword(password),
        totpSecret: this.secrets.seal(totpSecret, totpContext(user.userId)),
        now,
      },
      this.metadata(sessionUserOf(user), request),
      { expectedVersion: loaded!.version },
    ).catch((error: unknown) => {
      // Accepted at the same moment through another request: that one won.
      throw error instanceof WrongExpectedVersionError
        ? (invitationRefusal(user, invitationHash, now) ?? error)
        : error;
    });
    await this.readModels.waitFor(result.position);
    return { email: user.email, totpSecret, otpauthUri: otpauthUri(totpSecret, user.email) };
  }

  /** Password step: a challenge for the TOTP step, or 401 (the same for an unknown e-mail). */
  async login(email: string, password: string, request: Request): Promise<{ challenge: string }> {
    const address = clientAddress(request);
    const emailKey = emailKeyOf(email);
    await this.throttle.check(address, emailKey);
    const user = (await this.load(emailKey))?.state ?? null;
    const active = user?.status === 'active' ? user : null;
    const valid = await verifyPassword(active?.passwordHash ?? null, password);
    if (!active || !valid) {
      await this.throttle.fail(address, emailKey);
      this.logger.warn(
        `sign-in refused: wrong e-mail or password (account ${emailKey.slice(0, 12)}, from ${address})`,
      );
      throw invalidCredentials();
    }
    return { challenge: await this.sessions.createChallenge({ emailKey, userId: active.userId }) };
  }

  /** TOTP step: opens a session, or 401 for a wrong, replayed or late code. */
  async completeLogin(
    challenge: string,
    code: string,
    request: Request,
  ): Promise<{ cookie: string; session: Session }> {
    const address = clientAddress(request);
    const pending = await this.sessions.findChallenge(challenge);
    if (!pending) {
      await this.throttle.fail(address);
      throw new UnauthorizedException({
        code: 'invalid-challenge',
        message: 'this sign-in expired or was already used: give your e-mail and password again',
      });
    }
    await this.throttle.check(address, pending.emailKey);
    const loaded = await this.load(pending.emailKey);
    const user = loaded?.state;
    const refuse = async (reason: string, message: string) => {
      await this.sessions.failChallenge(challenge);
      await this.throttle.fail(address, pending.emailKey);
      this.logger.warn(`sign-in refused: ${reason} (user ${pending.userId}, from ${address})`);
      return new UnauthorizedException({ code: reason, message });
    };
    if (!user || user.userId !== pending.userId || user.status !== 'active' || !user.totpSecret)
      throw await refuse('invalid-credentials', 'this user cannot sign in');
    const nowMs = this.clock.now().getTime();
    const step = totpStepOf(this.secrets.open(user.totpSecret, totpContext(user.userId)), code, nowMs);
    if (step === null)
      throw await refuse('wrong-code', 'wrong code: use the current code of your authenticator app');
    const sessionUser = sessionUserOf(user);
    try {
      await handleCommand(
        this.store,
        streams.user(pending.emailKey),
        userDecider,
        { type: 'RecordSignIn', totpStep: step, now: new Date(nowMs).toISOString() },
        this.metadata(sessionUser, request),
        { conflictRetries: 3 },
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === 'totp-code-used')
        throw await refuse('code-used', 'this code was already used: wait for the next one');
      if (error instanceof DomainError && error.code === 'user-not-active')
        throw await refuse('invalid-credentials', 'this user cannot sign in');
      throw error;
    }
    await this.sessions.dropChallenge(challenge);
    await this.throttle.succeed(pending.emailKey);
    this.logger.log(`user ${user.userId} signed in from ${address}`);
    return this.sessions.create(sessionUser, nowMs);
  }

  view(session: Session) {
    const nowMs = this.clock.now().getTime();
    return {
      user: session.user,
      csrfToken: session.csrfToken,
      idleExpiresAt: new Date(this.sessions.idleExpiry(session, nowMs)).toISOString(),
      expiresAt: new Date(session.expiresAt).toISOString(),
    };
  }

  async logout(session: Pick<Session, 'key' | 'user'>): Promise<void> {
    await this.sessions.revoke(session);
  }
}

/** The AAD of a user's sealed TOTP secret: it opens for this user only. */
const totpContext = (userId: string) => `totp:${userId}`;

/** The client's address as Express sees it (X-Forwarded-For only from proxies TRUST_PROXY names). */
export const clientAddress = (request: Request): string =>
  request.ip ?? request.socket?.remoteAddress ?? 'unknown';
