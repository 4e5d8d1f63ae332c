import type { Completer } from '../shared/completion';
import { assertNever, type Decider, type DomainEvent } from '../shared/decider';
import { conflict, validationError } from '../shared/errors';
import { parseTenantStream, streams } from '../shared/streams';
import type { ActivationEvent, ScopeWideningRejected } from './activation.events';
import { pendingWidening, type Activation } from './activation.state';

/**
 * The tenant's activation-scope claims (`tenant/<t>/activation-claims`): the decisive stream of the
 * overlap rule. Activations of one tenant may run at once when their scopes do not overlap; a
 * server belongs to at most one live activation. The registry decides it with an expected
 * revision, so the rule holds across any number of api and worker processes (see
 * `shared/completion.ts`):
 *
 * - a new activation, an escalated alert or a widened failover is ONE decision (`ScopeClaimed`)
 *   carrying the servers it claims AND the very events the activation's stream will record;
 *   `scopeClaimsCompleter` records them there (after any crash: the decision is rolled forward, so
 *   a claim never outlives an activation that was never written);
 * - when an activation ends (aborted, rejected, stood down, closed, failed back) the completer
 *   records the release on the registry (once it exists: activations that predate it hold nothing); a widening whose confirmation failed releases the servers
 *   it had added (`ScopeWideningRejected`). Until a release is recorded the servers stay claimed: the rule errs on the safe side.
 */

export interface ClaimedServer {
  serverId: string;
  hostname: string;
}

export interface LiveClaim {
  activationId: string;
  servers: ClaimedServer[];
}

export type ScopeClaimsOpened = DomainEvent<'ScopeClaimsOpened', { claims: LiveClaim[] }>;
export type ScopeClaimed = DomainEvent<
  'ScopeClaimed',
  {
    activationId: string;
    /** Every server the activation holds once the decision is completed. */
    servers: ClaimedServer[];
    /** What the activation's stream records (once) when the decision is completed. */
    events: ActivationEvent[];
    /** Null for a new activation; else the activation's stream revision the events were decided on. */
    basedOnRevision: number | null;
  }
>;
export type ScopeClaimsReleased = DomainEvent<
  'ScopeClaimsReleased',
  {
    activationId: string;
    /** Null: every server of the activation (it ended); else only these. */
    serverIds: string[] | null;
    reason: string;
    at: string;
  }
>;
export type ScopeClaimsEvent = ScopeClaimsOpened | ScopeClaimed | ScopeClaimsReleased;

export type ScopeClaimsCommand = {
  type: 'ClaimScope';
  activationId: string;
  servers: ClaimedServer[];
  events: ActivationEvent[];
  basedOnRevision: number | null;
  /**
   * The tenant's live activations as the read model knows them: recorded (as `ScopeClaimsOpened`)
   * only by the first decision of a tenant whose activations predate the registry.
   */
  live?: LiveClaim[];
};

export interface ScopeClaimsState {
  opened: boolean;
  /** Live activations → what they hold and the revision their last extension was based on. */
  claims: ReadonlyMap<string, { servers: ClaimedServer[]; basedOnRevision: number }>;
  /** serverId → the live activation holding it. */
  holders: ReadonlyMap<string, string>;
  /** Activations whose claims were released (they ended). */
  released: ReadonlySet<string>;
}

const initialState = (): ScopeClaimsState => ({
  opened: false,
  claims: new Map(),
  holders: new Map(),
  released: new Set(),
});

/** Which servers are held by other activations: the overlap, by activation. */
function overlaps(
  state: ScopeClaimsState,
  activationId: string,
  servers: readonly ClaimedServer[],
): Map<string, ClaimedServer[]> {
  const found = new Map<string, ClaimedServer[]>();
  for (const server of servers) {
    const holder = state.holders.get(server.serverId);
    if (!holder || holder === activationId) continue;
    found.set(holder, [...(found.get(holder) ?? []), server]);
  }
  return found;
}

/** 409 `activation-overlap` naming the servers in conflict and the activations holding them. */
export function overlapConflict(found: ReadonlyMap<string, ClaimedServer[]>) {
  const activations = [...found].map(([activationId, servers]) => ({
    activationId,
    servers: servers.map((s) => s.hostname).sort(),
  }));
  const servers = activations.flatMap((a) => a.servers).sort();
  return conflict(
    'activation-overlap',
    `${servers.join(', ')} ${servers.length === 1 ? 'is' : 'are'} already in live activation ${activations
      .map((a) => a.activationId)
      .join(', ')}: wait until it ends or leave ${servers.length === 1 ? 'it' : 'them'} out of the scope`,
    { servers, activations, activationId: activations[0].activationId },
  );
}

function claim(command: ScopeClaimsCommand, state: ScopeClaimsState): ScopeClaimsEvent[] {
  const { activationId, basedOnRevision } = command;
  if (!Array.isArray(command.servers) || !Array.isArray(command.events) || command.events.length === 0)
    throw validationError('invalid-claim', 'a claim names its servers and the events it records', [
      { field: 'events', message: 'must hold the activation events the claim records' },
    ]);
  const out: ScopeClaimsEvent[] = [];
  let current = state;
  if (!state.opened && command.live?.length) {
    const claims = command.live.filter((c) => c.activationId !== activationId && c.servers.length > 0);
    if (claims.length) {
      const opened: ScopeClaimsOpened = { type: 'ScopeClaimsOpened', data: { claims } };
      out.push(opened);
      current = evolve(current, opened);
    }
  }
  const held = current.claims.get(activationId);
  if (basedOnRevision === null) {
    if (held || current.released.has(activationId))
      throw conflict('activation-exists', `activation ${activationId} already exists`, { activationId });
  } else {
    if (!held)
      throw conflict('activation-ended', `activation ${activationId} is no longer live`, { activationId });
    if (basedOnRevision < held.basedOnRevision)
      throw conflict('activation-changed', `activation ${activationId} changed meanwhile: try again`, {
        activationId,
      });
  }
  const found = overlaps(current, activationId, command.servers);
  if (found.size) throw overlapConflict(found);
  out.push({
    type: 'ScopeClaimed',
    data: {
      activationId,
      servers: command.servers.map(({ serverId, hostname }) => ({ serverId, hostname })),
      events: command.events,
      basedOnRevision,
    },
  });
  return out;
}

function decide(command: ScopeClaimsCommand, state: ScopeClaimsState): ScopeClaimsEvent[] {
  switch (command.type) {
    case 'ClaimScope':
      return claim(command, state);
    default:
      return assertNever(command.type);
  }
}

function evolve(state: ScopeClaimsState, event: ScopeClaimsEvent): ScopeClaimsState {
  const claims = new Map(state.claims);
  const holders = new Map(state.holders);
  const released = new Set(state.released);
  const drop = (activationId: string, serverIds: readonly string[] | null) => {
    const held = claims.get(activationId);
    if (!held) return;
    const dropped = new Set(serverIds ?? held.servers.map((s) => s.serverId));
    for (const id of dropped) if (holders.get(id) === activationId) holders.delete(id);
    const servers = held.servers.filter((s) => !dropped.has(s.serverId));
    if (serverIds === null) {
      claims.delete(activationId);
      released.add(activationId);
    } else claims.set(activationId, { ...held, servers });
  };
  const hold = (activationId: string, servers: ClaimedServer[], basedOnRevision: number) => {
    drop(activationId, null);
    released.delete(activationId);
    claims.set(activationId, { servers, basedOnRevision });
    for (const s of servers) holders.set(s.serverId, activationId);
  };
  switch (event.type) {
    case 'ScopeClaimsOpened':
      for (const c of event.data.claims) hold(c.activationId, c.servers, -1);
      return { opened: true, claims, holders, released };
    case 'ScopeClaimed': {
      const d = event.data;
      // The next extension must be decided on a state that includes this one's events.
      const next = (d.basedOnRevision ?? -1) + d.events.length;
      hold(d.activationId, d.servers, next);
      return { opened: true, claims, holders, released };
    }
    case 'ScopeClaimsReleased':
      drop(event.data.activationId, event.data.serverIds);
      return { ...state, claims, holders, released };
    default:
      return assertNever(event);
  }
}

export const scopeClaimsDecider: Decider<ScopeClaimsCommand, ScopeClaimsState, ScopeClaimsEvent> = {
  decide,
  evolve,
  initialState,
};

/** Every server an activation holds: its scope, and the new servers of a widening awaiting confirmation. */
export const claimedServersOf = (s: Activation): ClaimedServer[] =>
  [...s.servers.map((x) => x.snapshot), ...(pendingWidening(s)?.servers ?? [])].map(
    ({ serverId, hostname }) => ({ serverId, hostname }),
  );

/** Activation events after which the activation holds nothing any more. */
const ENDING: ReadonlySet<ActivationEvent['type']> = new Set([
  'ActivationAborted',
  'ActivationRejected',
  'AlertStoodDown',
  'ActivationClosed',
  'ActivationFailedBack',
]);

/**
 * Completes the claims: a `ScopeClaimed` decision is recorded on the activation's stream; an
 * activation that ended releases its claims on the registry.
 */
export const scopeClaimsCompleter: Completer = (event) => {
  const parsed = parseTenantStream(event.stream);
  if (!parsed) return [];
  if (parsed.category === 'activation-claims' && event.type === 'ScopeClaimed') {
    const d = (event as ScopeClaimed).data;
    return [{ stream: streams.activation(parsed.tenantId, d.activationId), events: d.events }];
  }
  if (parsed.category === 'activation' && parsed.id && event.type === 'ScopeWideningRejected') {
    const d = (event as ScopeWideningRejected).data;
    const released: ScopeClaimsReleased = {
      type: 'ScopeClaimsReleased',
      data: { activationId: parsed.id, serverIds: d.serverIds, reason: event.type, at: d.at },
    };
    return [{ stream: streams.activationClaims(parsed.tenantId), events: [released], ifStreamExists: true }];
  }
  if (parsed.category === 'activation' && parsed.id && ENDING.has(event.type as ActivationEvent['type'])) {
    const at = (event.data as { at: string }).at;
    const released: ScopeClaimsReleased = {
      type: 'ScopeClaimsReleased',
      data: { activationId: parsed.id, serverIds: null, reason: event.type, at },
    };
    return [{ stream: streams.activationClaims(parsed.tenantId), events: [released], ifStreamExists: true }];
  }
  return [];
};
