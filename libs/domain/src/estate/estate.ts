import type { DomainEvent } from '../shared/decider';
import { parseTenantStream } from '../shared/streams';
import {
  EstateNode,
  EstateView,
  evolveServer,
  isServerEvent,
  ServerDeciderState,
  ServerEvent,
  ServerState,
} from './server';

/** The minimal shape of a stored event that the estate fold needs (a RecordedEvent fits). */
export interface StreamEvent extends DomainEvent {
  stream: string;
}

/**
 * Folds every server stream of a tenant (events in store order, e.g. `readAll({streamPrefixes:
 * [streams.tenantPrefix(t)]})`, any other streams are skipped) into the servers' states.
 * `loadEstate(events)` gives active servers only; pass `{ includeInactive: true }` for all.
 */
export function foldServers(events: Iterable<StreamEvent>): Map<string, ServerState> {
  const states = new Map<string, ServerDeciderState>();
  for (const event of events) {
    if (!isServerEvent(event.type)) continue;
    const parsed = parseTenantStream(event.stream);
    if (!parsed || parsed.category !== 'server' || !parsed.id) continue;
    states.set(parsed.id, evolveServer(states.get(parsed.id) ?? null, event as ServerEvent));
  }
  const out = new Map<string, ServerState>();
  for (const [id, state] of states) if (state) out.set(id, state);
  return out;
}

export function loadEstate(
  events: Iterable<StreamEvent>,
  options: { includeInactive?: boolean } = {},
): ServerState[] {
  const servers = [...foldServers(events).values()];
  return (options.includeInactive ? servers : servers.filter((s) => s.status === 'active')).sort((a, b) =>
    a.hostname.localeCompare(b.hostname),
  );
}

/** The estate context a server command needs: active servers by hostname. */
export function estateViewOf(
  servers: Iterable<Pick<ServerState, 'id' | 'hostname' | 'protectionClass' | 'dependsOn' | 'status'>>,
): EstateView {
  const byHostname = new Map<string, EstateNode>();
  for (const s of servers) {
    if (s.status !== 'active') continue;
    byHostname.set(s.hostname, {
      id: s.id,
      hostname: s.hostname,
      protectionClass: s.protectionClass,
      dependsOn: s.dependsOn,
    });
  }
  return { byHostname };
}
