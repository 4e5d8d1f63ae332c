import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Actor, ActorRole, RequestWithActor } from './actor';

export const ROLES_KEY = 'reprise:roles';
export const PUBLIC_KEY = 'reprise:public';

/** Restricts a route (or controller) to these roles; 403 for any other authenticated role. */
export const Roles = (...roles: ActorRole[]) => SetMetadata(ROLES_KEY, roles);

/** Marks a route as reachable without a token (health, docs). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The Actor resolved by AuthGuard. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<RequestWithActor>();
  if (!request.actor) throw new Error('CurrentActor used on a route without an authenticated actor');
  return request.actor;
});
