import type { Decider, DomainEvent } from '@reprise/domain/shared/decider';
import {
  EventStore,
  ExpectedRevision,
  MetadataInput,
  RecordedEvent,
  WrongExpectedVersionError,
} from './event-store.port';

export interface HandleResult<State> {
  /** New stream revision, i.e. the resource's `version`. */
  version: number;
  position: number;
  state: State;
  events: RecordedEvent[];
}

/**
 * Command handling as one function: read the stream, fold `evolve`, `decide`, append with the
 * revision that was read (optimistic concurrency). `expectedVersion` (from `If-Match`) makes the
 * write conditional on what the client saw. A concurrent writer makes this fail with
 * WrongExpectedVersionError (409), never a lost update — unless `conflictRetries` is given and the
 * caller set no `expectedVersion`: then the command is decided again on the new state (used where
 * another process appends facts to the same stream, e.g. the worker on an activation).
 */
export async function handleCommand<Command, State, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  metadata: MetadataInput,
  options: { expectedVersion?: number; conflictRetries?: number } = {},
): Promise<HandleResult<State>> {
  const retries = options.expectedVersion === undefined ? (options.conflictRetries ?? 0) : 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await decideAndAppend(store, stream, decider, command, metadata, options.expectedVersion);
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || attempt >= retries) throw error;
    }
  }
}

async function decideAndAppend<Command, State, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  metadata: MetadataInput,
  expectedVersion: number | undefined,
): Promise<HandleResult<State>> {
  const recorded = await store.readStream(stream);
  const current = recorded.length ? recorded[recorded.length - 1].revision : -1;
  if (expectedVersion !== undefined && expectedVersion !== current) {
    throw new WrongExpectedVersionError(stream, expectedVersion, current);
  }
  let state = decider.initialState();
  for (const event of recorded) state = decider.evolve(state, event as unknown as Event);
  const events = decider.decide(command, state);
  if (events.length === 0) return { version: current, position: 0, state, events: [] };
  const expectedRevision: ExpectedRevision = current === -1 ? 'no-stream' : current;
  const result = await store.append(stream, events, { expectedRevision, metadata });
  for (const event of events) state = decider.evolve(state, event);
  return { version: result.nextRevision, position: result.position, state, events: result.events };
}

/** Reads a stream and folds it; `null` when the stream does not exist. */
export async function loadAggregate<State, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<unknown, State, Event>, 'evolve' | 'initialState'>,
  options: { until?: (event: RecordedEvent) => boolean } = {},
): Promise<{ state: State; version: number; events: RecordedEvent[] } | null> {
  const recorded = await store.readStream(stream);
  if (recorded.length === 0) return null;
  const events = options.until ? recorded.filter(options.until) : recorded;
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event as unknown as Event);
  return { state, version: recorded[recorded.length - 1].revision, events };
}
