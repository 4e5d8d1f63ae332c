export {
  Actor,
  ActorRole,
  metadataFor,
  personActing,
  PLATFORM_TENANT,
  requestIdOf,
  RequestWithActor,
  userActor,
  validateActingBody,
} from './actor';
export { CurrentActor, Public, Roles, ROLES_KEY, PUBLIC_KEY } from './decorators';
export { AuthGuard } from './auth.guard';
export { AuthModule } from './auth.module';
export { hashToken, newApiToken } from './tokens';
export { ifMatchVersion } from './if-match';
