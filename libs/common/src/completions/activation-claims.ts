import {
  scopeClaimsDecider,
  type ActivationEvent,
  type ClaimedServer,
  type LiveClaim,
  type ScopeClaimsCommand,
  type ScopeClaimsEvent,
  type ScopeClaimsState,
} from '@reprise/domain/activation';
import { DomainError } from '@reprise/domain/shared/errors';
import { streams } from '@reprise/domain/shared/streams';
import { AggregateExecutor } from '@reprise/event-store/aggregate-executor';
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

/**
 * Records activation events through a claim of their servers (the overlap rule's decisive append,
 * see the domain's `scope-claims.ts`), then waits for the completion that records them on the
 * activation's stream. The claims stream is folded in memory and caught up with what other
 * processes appended (the expected revision decides); claims of one process are decided in batches.
 * A refusal for overlap is judged once more after every decision stored so far is complete: an
 * activation that ended a moment ago may not have released its servers yet.
 */
export class ActivationClaims {
  private readonly claims: AggregateExecutor<ScopeClaimsCommand, ScopeClaimsState, ScopeClaimsEvent>;

  constructor(
    store: EventStore,
    private readonly completions: CompletionRunner,
  ) {
    this.claims = new AggregateExecutor(store, scopeClaimsDecider, { maxCached: 1000 });
  }

  /** Returns the claim's position and the position up to which read models must be read. */
  async claim(
    request: ScopeClaimRequest,
    metadata: MetadataInput,
  ): Promise<{ position: number; through: number; completed: boolean }> {
    const { tenantId, activationId, servers, events, basedOnRevision, live } = request;
    const claim = () =>
      this.claims.execute(
        streams.activationClaims(tenantId),
        { type: 'ClaimScope', activationId, servers, events, basedOnRevision, live },
        metadata,
      );
    const recorded = await claim().catch(async (error: unknown) => {
      if (!(error instanceof DomainError) || error.code !== 'activation-overlap') throw error;
      await this.completions.drain();
      return claim();
    });
    const position = recorded[recorded.length - 1].position;
    const { done, through } = await this.completions.waitFor(position);
    return { position, through, completed: done };
  }
}
