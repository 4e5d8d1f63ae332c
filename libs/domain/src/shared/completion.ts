import type { DomainEvent } from './decider';

/**
 * Decisions and their completions: how a command that must change several streams stays whole
 * after a crash at any instant, on any event store (none needs multi-stream transactions).
 *
 * 1. ONE decisive append, with an expected revision, records the decision on one stream (the
 *    decisive stream: e.g. the tenant's estate registry) with everything needed to finish it: the
 *    very events the other streams will hold. Until it is appended nothing happened; once it is,
 *    the change happened, whatever dies next.
 * 2. A completer, a pure function of the decision event, says which events go on which other
 *    streams (`Completion`). A runner (a subscription with a durable checkpoint, in the api and the
 *    worker) appends each completion once: a completion is recorded with the decision event as its
 *    causation, and a stream that already holds an event caused by the decision is complete. After
 *    a crash the runner rolls every decision forward; several runners may race, none duplicates.
 * 3. Readers never take a decision for a completed change: what a stream does not hold yet has
 *    not happened for its readers, and the decisive stream only answers its own rules (e.g. a
 *    hostname held by a decision the completer will turn into a server).
 */
export interface Completion<Event extends DomainEvent = DomainEvent> {
  stream: string;
  events: Event[];
  /**
   * Record it only on a stream that already exists (e.g. a release of claims on a tenant's claims
   * stream: a tenant whose activations predate the claims has nothing to release, and a store
   * served as it is gets no write).
   */
  ifStreamExists?: true;
}

/** What a completer sees of a recorded event. */
export interface DecisionEvent extends DomainEvent {
  stream: string;
}

/** A process manager that completes decisions: pure, from one recorded event to its completions. */
export type Completer = (event: DecisionEvent) => Completion[];
