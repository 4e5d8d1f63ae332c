import { assertNever, Decider, DomainEvent } from '../shared/decider';
import { conflict } from '../shared/errors';

/** Roles of tenant API keys; `admin` is the platform token only. */
export type TenantRole = 'dr-manager' | 'scheduler' | 'auditor';
export const TENANT_ROLES: TenantRole[] = ['dr-manager', 'scheduler', 'auditor'];
export type Role = 'admin' | TenantRole;

/** Only the sha256 of the token is stored; the token is shown once, at issue. */
export type ApiKeyIssued = DomainEvent<
  'ApiKeyIssued',
  {
    keyId: string;
    tenantId: string;
    name: string;
    role: TenantRole;
    tokenHash: string;
    tokenPrefix: string;
    at: string;
  }
>;
export type ApiKeyRevoked = DomainEvent<'ApiKeyRevoked', { keyId: string; tenantId: string; at: string }>;
export type ApiKeyEvent = ApiKeyIssued | ApiKeyRevoked;

export type ApiKeyCommand =
  | {
      type: 'IssueApiKey';
      keyId: string;
      tenantId: string;
      name: string;
      role: TenantRole;
      tokenHash: string;
      tokenPrefix: string;
      now: string;
    }
  | { type: 'RevokeApiKey'; now: string };

export interface ApiKeyState {
  keyId: string;
  tenantId: string;
  name: string;
  role: TenantRole;
  tokenHash: string;
  tokenPrefix: string;
  issuedAt: string;
  revokedAt: string | null;
}

export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyState | null, ApiKeyEvent> = {
  initialState: () => null,
  decide(command, state) {
    switch (command.type) {
      case 'IssueApiKey': {
        if (state) throw conflict('api-key-exists', `API key ${command.keyId} already exists`);
        const { type: _type, now, ...data } = command;
        return [{ type: 'ApiKeyIssued', data: { ...data, at: now } }];
      }
      case 'RevokeApiKey':
        if (!state) throw new Error('api key stream does not exist');
        if (state.revokedAt) return [];
        return [
          { type: 'ApiKeyRevoked', data: { keyId: state.keyId, tenantId: state.tenantId, at: command.now } },
        ];
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ApiKeyIssued': {
        const { at, ...rest } = event.data;
        return { ...rest, issuedAt: at, revokedAt: null };
      }
      case 'ApiKeyRevoked':
        return state ? { ...state, revokedAt: event.data.at } : state;
      default:
        return assertNever(event);
    }
  },
};
