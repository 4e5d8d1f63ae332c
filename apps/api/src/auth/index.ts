export { Actor, ActorRole, metadataFor, PLATFORM_TENANT, requestIdOf, RequestWithActor } from './actor';
export { CurrentActor, Public, Roles, ROLES_KEY, PUBLIC_KEY } from './decorators';
export { AuthGuard } from './auth.guard';
export { AuthModule } from './auth.module';
export { hashToken, newApiToken } from './tokens';
export { ifMatchVersion } from './if-match';
