import type { Projection } from '@reprise/event-store/projections/projection-runner';
import { apiKeysProjection } from '../auth/api-keys.projection';
import { serversProjection } from '../estate/servers.projection';
import { plansProjection } from '../plan/plans.projection';
import { tenantsProjection } from '../tenants/tenants.projection';
import { usersProjection } from '../users/users.projection';

/** Every read model the API serves. Each slice adds its projection here. */
export const API_PROJECTIONS: Projection[] = [
  tenantsProjection,
  apiKeysProjection,
  serversProjection,
  plansProjection,
  usersProjection,
];
