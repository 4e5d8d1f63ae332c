import { assertNever, Decider, DomainEvent } from '../shared/decider';
import { conflict } from '../shared/errors';

/**
 * A hostname is unique among a tenant's servers until the server holding it is decommissioned.
 * Each hostname has its own reservation stream (`tenant/<t>/hostname/<hostname>`), appended with
 * an expected revision, so two concurrent enrolments of one name cannot both win, across processes.
 */
export const hostnameStream = (tenantId: string, hostname: string) =>
  `tenant/${tenantId}/hostname/${hostname}`;

export type HostnameReserved = DomainEvent<'HostnameReserved', { hostname: string; serverId: string }>;
export type HostnameReleased = DomainEvent<
  'HostnameReleased',
  { hostname: string; serverId: string; reason: string }
>;
export type HostnameEvent = HostnameReserved | HostnameReleased;

export type HostnameCommand =
  | { type: 'ReserveHostname'; hostname: string; serverId: string }
  | { type: 'ReleaseHostname'; hostname: string; serverId: string; reason: string };

export interface HostnameState {
  holder: string | null;
}

export const hostnameDecider: Decider<HostnameCommand, HostnameState, HostnameEvent> = {
  initialState: () => ({ holder: null }),
  decide(command, state) {
    switch (command.type) {
      case 'ReserveHostname':
        if (state.holder === command.serverId) return [];
        if (state.holder !== null)
          throw conflict(
            'duplicate-hostname',
            `a server named ${command.hostname} already exists in this tenant`,
            {
              errors: [{ field: 'hostname', message: 'already used in this tenant' }],
            },
          );
        return [
          { type: 'HostnameReserved', data: { hostname: command.hostname, serverId: command.serverId } },
        ];
      case 'ReleaseHostname':
        if (state.holder !== command.serverId) return [];
        return [
          {
            type: 'HostnameReleased',
            data: { hostname: command.hostname, serverId: command.serverId, reason: command.reason },
          },
        ];
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'HostnameReserved':
        return { holder: event.data.serverId };
      case 'HostnameReleased':
        return state.holder === event.data.serverId ? { holder: null } : state;
      default:
        return assertNever(event);
    }
  },
};
