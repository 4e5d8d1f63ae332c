import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Environment } from '@reprise/common/config/environment';
import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { READ_MODELS } from '../read-models/read-models.module';
import { Actor, ActorRole, PLATFORM_TENANT, RequestWithActor, userActor } from './actor';
import type { ApiKeyRow } from './api-keys.projection';
import { PUBLIC_KEY, ROLES_KEY } from './decorators';
import { CSRF_HEADER, sessionCookie } from './session-cookie';
import { SessionStore } from './session.store';
import { hashToken, sameSecret } from './tokens';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const unauthorized = (message: string) => new UnauthorizedException({ code: 'unauthorized', message });

/**
 * Global guard (APP_GUARD), the one place that decides who may call what. On every `/api/...`
 * route it resolves the Actor from `Authorization: Bearer` (the platform admin token, or a tenant
 * API key looked up by sha256 in the api-keys read model; revoked keys are refused) or, without a
 * bearer token, from the session cookie of a signed-in user (SessionStore.live decides whether the
 * session is still good). A session's writes must carry `x-csrf-token` (403 without
 * it). Then one rule for both: 403 when the route's @Roles does not include the actor's role.
 * Routes outside the API prefix (/health) and @Public() routes pass.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly cookieName: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly env: Environment,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
    private readonly sessions: SessionStore,
  ) {
    this.cookieName = sessionCookie(env).name;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<RequestWithActor>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets);
    const path = request.originalUrl ?? request.url ?? '';
    if (isPublic || !path.startsWith('/api/')) return true;

    const actor = request.headers.authorization
      ? this.fromBearer(request.headers.authorization)
      : await this.fromSession(request);
    request.actor = actor;
    if (actor.session && !SAFE_METHODS.has(request.method)) this.checkCsrf(request, actor.session.csrfToken);
    const roles = this.reflector.getAllAndOverride<ActorRole[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(actor.role)) {
      throw new ForbiddenException({
        code: 'forbidden-role',
        message: `role ${actor.role} may not do this (allowed: ${roles.join(', ')})`,
      });
    }
    return true;
  }

  private fromBearer(header: string): Actor {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('malformed Authorization header (Authorization: Bearer <token>)');
    const token = match[1];
    const admin = this.env.REPRISE_ADMIN_TOKEN;
    if (admin && sameSecret(token, admin))
      return {
        tenantId: PLATFORM_TENANT,
        role: 'admin',
        actor: 'admin',
        keyId: null,
        user: null,
        session: null,
      };
    if (token.length > 200) throw unauthorized('invalid or revoked token');
    const row = this.readModels.db
      .prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE token_hash = ?')
      .get(hashToken(token));
    if (!row || row.revoked_at) throw unauthorized('invalid or revoked token');
    return {
      tenantId: row.tenant_id,
      role: row.role as ActorRole,
      actor: `api-key:${row.key_id}`,
      keyId: row.key_id,
      user: null,
      session: null,
    };
  }

  private async fromSession(request: RequestWithActor): Promise<Actor> {
    const cookie = (request.cookies as Record<string, unknown> | undefined)?.[this.cookieName];
    if (typeof cookie !== 'string' || !cookie)
      throw unauthorized('missing bearer token (Authorization: Bearer <token>) or session cookie');
    const session = await this.sessions.find(cookie);
    if (!session) throw unauthorized('the session ended: sign in again');
    return userActor(session.user, session);
  }

  private checkCsrf(request: RequestWithActor, expected: string): void {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sent)
      throw new ForbiddenException({
        code: 'csrf-token-missing',
        message: `writes made with the session cookie need the ${CSRF_HEADER} header (csrfToken of GET /auth/me)`,
      });
    if (!sameSecret(sent, expected))
      throw new ForbiddenException({
        code: 'csrf-token-invalid',
        message: `the ${CSRF_HEADER} header is not this session's token (csrfToken of GET /auth/me)`,
      });
  }
}
