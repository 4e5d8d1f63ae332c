import type { Projection } from '@reprise/event-store/projections/projection-runner';

/** Every read model the API serves. Each slice adds its projection here. */
export const API_PROJECTIONS: Projection[] = [];
