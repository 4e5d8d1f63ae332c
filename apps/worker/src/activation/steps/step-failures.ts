import type { CapacityShortage } from '@reprise/domain/activation/activation.types';
import { CloudPermanentError } from '@reprise/recovery-cloud-client';

/** The recovery cloud's refusals for lack of capacity, as the domain names what was short. */
const SHORTAGE_BY_CLOUD_CODE: ReadonlyMap<string, CapacityShortage> = new Map([
  ['insufficient-ram', 'ram'],
  ['insufficient-vcpu', 'vcpu'],
  ['insufficient-datastore', 'datastore'],
  ['anti-affinity', 'anti-affinity'],
]);

export interface Failure {
  reason: string;
  shortage: CapacityShortage | null;
}

/**
 * A permanent refusal of the recovery cloud as a step's failure (the cloud's code and message, and
 * what capacity was short when that was the reason); null when retrying may still help.
 */
export function permanentFailure(error: unknown): Failure | null {
  if (!(error instanceof CloudPermanentError)) return null;
  return {
    reason: `${error.code}: ${error.message}`,
    shortage: SHORTAGE_BY_CLOUD_CODE.get(error.code) ?? null,
  };
}

/** A step that still failed after its last retry. */
export const gaveUp = (attempts: number, error: Error): Failure => ({
  reason: `gave up after ${attempts} attempts: ${error.message}`,
  shortage: null,
});
