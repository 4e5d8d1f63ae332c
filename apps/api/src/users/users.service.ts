import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import type { Clock } from '@reprise/domain/shared/clock';
import { notFound } from '@reprise/domain/shared/errors';
import { streams } from '@reprise/domain/shared/streams';
import { userDecider, type UserStatus } from '@reprise/domain/user/user';
import type { TenantRole } from '@reprise/domain/tenant/api-key';
import { handleCommand } from '@reprise/event-store/command-handling';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { Environment } from '@reprise/common/config/environment';
import { READ_MODELS } from '../read-models/read-models.module';
import { Actor, metadataFor } from '../auth/actor';
import { SessionStore } from '../auth/session.store';
import { emailKeyOf, hashToken, newInvitationToken } from '../auth/tokens';
import { WALL_CLOCK } from '../auth/wall-clock';
import { TenantsService } from '../tenants/tenants.service';
import type { CreateUserDto, InvitedUserView, UserView } from './users.dto';
import type { UserRow } from './users.projection';

/** Named users of a tenant: invitation, list, disable (the sign-in itself is SignInService). */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);
  private readonly invitationTtlMs: number;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
    @Inject(WALL_CLOCK) private readonly clock: Clock,
    private readonly sessions: SessionStore,
    private readonly tenants: TenantsService,
    env: Environment,
  ) {
    this.invitationTtlMs = Math.round(env.REPRISE_INVITATION_TTL_HOURS * 3_600_000);
  }

  /** Invites `dto.email` into `tenantId`; the token is answered once. Invited again while pending: a new token. */
  async invite(
    tenantId: string,
    dto: CreateUserDto,
    actor: Actor,
    request: Request,
  ): Promise<InvitedUserView> {
    this.tenants.get(tenantId);
    const emailKey = emailKeyOf(dto.email);
    const invitationToken = newInvitationToken(emailKey);
    const now = this.clock.now();
    const result = await handleCommand(
      this.store,
      streams.user(emailKey),
      userDecider,
      {
        type: 'InviteUser',
        userId: randomUUID(),
        tenantId,
        email: dto.email,
        name: dto.name,
        role: dto.role,
        invitationHash: hashToken(invitationToken),
        invitationExpiresAt: new Date(now.getTime() + this.invitationTtlMs).toISOString(),
        invitedBy: actor.actor,
        now: now.toISOString(),
      },
      { ...metadataFor(actor, request), tenantId },
      { conflictRetries: 2 },
    );
    await this.readModels.waitFor(result.position);
    return { ...toView(this.row(tenantId, result.state!.userId)), invitationToken };
  }

  list(tenantId: string): UserView[] {
    this.tenants.get(tenantId);
    return this.readModels.db
      .prepare<[string], UserRow>('SELECT * FROM users WHERE tenant_id = ? ORDER BY email, invited_at')
      .all(tenantId)
      .map(toView);
  }

  /** Disables a user of `tenantId` (another tenant's user: 404) and ends all their sessions at once. */
  async disable(tenantId: string, userId: string, actor: Actor, request: Request): Promise<UserView> {
    const row = this.row(tenantId, userId);
    const result = await handleCommand(
      this.store,
      streams.user(row.email_key),
      userDecider,
      {
        type: 'DisableUser',
        by: actor.actor,
        byUserId: actor.user?.id ?? null,
        now: this.clock.now().toISOString(),
      },
      { ...metadataFor(actor, request), tenantId },
      { conflictRetries: 2 },
    );
    // After the event: a crash here leaves sessions in Redis, but the guard refuses any session
    // whose user the read model shows disabled.
    const ended = await this.sessions.revokeAll(userId);
    if (ended) this.logger.log(`user ${userId} disabled: ${ended} session(s) ended`);
    if (result.events.length) await this.readModels.waitFor(result.position);
    return toView(this.row(tenantId, userId));
  }

  private row(tenantId: string, userId: string): UserRow {
    const row = this.readModels.db
      .prepare<[string, string], UserRow>('SELECT * FROM users WHERE user_id = ? AND tenant_id = ?')
      .get(userId, tenantId);
    if (!row) throw notFound('user', userId);
    return row;
  }
}

const toView = (r: UserRow): UserView => ({
  id: r.user_id,
  tenantId: r.tenant_id,
  email: r.email,
  name: r.name,
  role: r.role as TenantRole,
  status: r.status as UserStatus,
  invitedAt: r.invited_at,
  invitationExpiresAt: r.invitation_expires_at,
  activatedAt: r.activated_at,
  lastSignInAt: r.last_sign_in_at,
  disabledAt: r.disabled_at,
});
