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
import { Actor, ActorRole, PLATFORM_TENANT, RequestWithActor } from './actor';
import type { ApiKeyRow } from './api-keys.projection';
import { PUBLIC_KEY, ROLES_KEY } from './decorators';
import { hashToken, sameSecret } from './tokens';

/**
 * Global guard (APP_GUARD): resolves `{tenantId, role, actor, keyId}` from `Authorization: Bearer`
 * on every `/api/...` route: the platform admin token (REPRISE_ADMIN_TOKEN) or a tenant API key
 * (looked up by sha256 in the api-keys read model; revoked keys are refused). 401 without a valid
 * token; 403 when the route's @Roles does not include the caller's role. Routes outside the API
 * prefix (/health) and @Public() routes pass.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly env: Environment,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<RequestWithActor>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets);
    const path = request.originalUrl ?? request.url ?? '';
    if (isPublic || !path.startsWith('/api/')) return true;

    const actor = this.resolve(request.headers.authorization);
    request.actor = actor;
    const roles = this.reflector.getAllAndOverride<ActorRole[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(actor.role)) {
      throw new ForbiddenException({
        code: 'forbidden-role',
        message: `role ${actor.role} may not do this (allowed: ${roles.join(', ')})`,
      });
    }
    return true;
  }

  private resolve(header: string | undefined): Actor {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match)
      throw new UnauthorizedException({
        code: 'unauthorized',
        message: 'missing bearer token (Authorization: Bearer <token>)',
      });
    const token = match[1];
    const admin = this.env.REPRISE_ADMIN_TOKEN;
    if (admin && sameSecret(token, admin))
      return { tenantId: PLATFORM_TENANT, role: 'admin', actor: 'admin', keyId: null };
    if (token.length > 200)
      throw new UnauthorizedException({ code: 'unauthorized', message: 'invalid or revoked token' });
    const row = this.readModels.db
      .prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE token_hash = ?')
      .get(hashToken(token));
    if (!row || row.revoked_at)
      throw new UnauthorizedException({ code: 'unauthorized', message: 'invalid or revoked token' });
    return {
      tenantId: row.tenant_id,
      role: row.role as ActorRole,
      actor: `api-key:${row.key_id}`,
      keyId: row.key_id,
    };
  }
}
