import {
  scopeClaimsDecider,
  type ActivationEvent,
  type ClaimedServer,
  type LiveClaim,
} from '@reprise/domain/activation';
import { DomainError } from '@reprise/domain/shared/errors';
import { streams } from '@reprise/domain/shared/streams';
import { handleCommand } from '@reprise/event-store/command-handling';
import type { CompletionRunner } from '@reprise/event-store/completions/completion-runner';
import type { EventStore, MetadataInput } from '@reprise/event-store/event-store.port';

export interface ScopeClaimRequest {
  tenantId: string;
  activationId: string;
  /** Every server the activation holds once the events are recorded. */
  servers: ClaimedServer[];
  /** The activation events decided by the activation decider (recorded by the completion). */
  events: ActivationEvent[];
  /** Null for a new activation; else the activation stream's revision the events were decided on. */
  basedOnRevision: number | null;
  /** The tenant's live activations (read model): opens the registry of a tenant that predates it. */
  live: LiveClaim[];
}

/** Appends racing on the claims stream (other requests of the tenant) decided again on the new state. */
const CLAIM_RETRIES = 20;

/**
 * Records activation events through a claim of their servers (the overlap rule's decisive append,
 * see the domain's `scope-claims.ts`), then waits for the completion that records them on the
 * activation's stream. A refusal for overlap is judged once more after every decision stored so
 * far is complete: an activation that ended a moment ago may not have released its servers yet.
 * Returns the claim's position and the position up to which read models must be read.
 */
export async function claimActivationScope(
  store: EventStore,
  completions: CompletionRunner,
  request: ScopeClaimRequest,
  metadata: MetadataInput,
): Promise<{ position: number; through: number; completed: boolean }> {
  const { tenantId, activationId, servers, events, basedOnRevision, live } = request;
  const claim = () =>
    handleCommand(
      store,
      streams.activationClaims(tenantId),
      scopeClaimsDecider,
      { type: 'ClaimScope', activationId, servers, events, basedOnRevision, live },
      metadata,
      { conflictRetries: CLAIM_RETRIES },
    );
  const result = await claim().catch(async (error: unknown) => {
    if (!(error instanceof DomainError) || error.code !== 'activation-overlap') throw error;
    await completions.drain();
    return claim();
  });
  const { done, through } = await completions.waitFor(result.position);
  return { position: result.position, through, completed: done };
}
