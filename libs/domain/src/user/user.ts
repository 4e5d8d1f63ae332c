import { assertNever, Decider, DomainEvent } from '../shared/decider';
import {
  conflict,
  DomainError,
  FieldError,
  forbidden,
  ruleViolation,
  validationError,
} from '../shared/errors';
import { isEmailAddress, normaliseEmail } from '../shared/email';
import { TENANT_ROLES, type TenantRole } from '../tenant/api-key';

/**
 * A named user of one tenant, signing in with a password and a TOTP second factor. One stream per
 * e-mail address (`platform/user/<key of the e-mail>`): the e-mail is the sign-in name, so it is
 * unique over the whole platform, and two concurrent invitations of one address cannot both win.
 *
 * Life cycle: invited (a one-time invitation, only its sha256 recorded) → active (password hash and
 * the encrypted TOTP secret recorded) → disabled. A disabled address can be invited again: that is
 * a new user (new id) in the same stream. Secrets never appear in clear: the invitation token as a
 * sha256, the password as an argon2id hash, the TOTP secret encrypted (AES-256-GCM).
 */
export type UserStatus = 'invited' | 'active' | 'disabled';
export const USER_STATUSES: UserStatus[] = ['invited', 'active', 'disabled'];

/** What an invitation says (the command and the event carry the same). */
export interface Invitation {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
  role: TenantRole;
  /** sha256 of the one-time invitation token (never the token). */
  invitationHash: string;
  invitationExpiresAt: string;
  /** Actor who invited (`admin`, `user:<id>`, `api-key:<id>`). */
  invitedBy: string;
}

export type UserInvited = DomainEvent<'UserInvited', Invitation & { at: string }>;
export type UserInvitationAccepted = DomainEvent<
  'UserInvitationAccepted',
  {
    userId: string;
    /** argon2id PHC string (parameters and salt included). */
    passwordHash: string;
    /** The TOTP secret, encrypted with the configured key (`aes-256-gcm:<keyId>:…`). */
    totpSecret: string;
    at: string;
  }
>;
export type UserSignedIn = DomainEvent<
  'UserSignedIn',
  {
    userId: string;
    /** RFC 6238 time step of the code used: a code of this step or an earlier one is refused. */
    totpStep: number;
    at: string;
  }
>;
export type UserDisabled = DomainEvent<
  'UserDisabled',
  { userId: string; tenantId: string; by: string; at: string }
>;
export type UserEvent = UserInvited | UserInvitationAccepted | UserSignedIn | UserDisabled;

export type UserCommand =
  | ({ type: 'InviteUser'; now: string } & Invitation)
  | {
      type: 'AcceptInvitation';
      /** sha256 of the token presented. */
      invitationHash: string;
      passwordHash: string;
      totpSecret: string;
      now: string;
    }
  | { type: 'RecordSignIn'; totpStep: number; now: string }
  /** `byUserId`: the user disabling, when a user does it (nobody disables themselves). */
  | { type: 'DisableUser'; by: string; byUserId: string | null; now: string };

export interface User {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
  role: TenantRole;
  status: UserStatus;
  /** The latest invitation (kept once accepted, so that a reused token is told apart). */
  invitation: { hash: string; expiresAt: string } | null;
  passwordHash: string | null;
  totpSecret: string | null;
  lastTotpStep: number | null;
  invitedAt: string;
  activatedAt: string | null;
  lastSignInAt: string | null;
  disabledAt: string | null;
}

export type UserState = User | null;

export const ENCRYPTED_SECRET_PREFIX = 'aes-256-gcm:';
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function userFieldErrors(input: { email?: unknown; name?: unknown; role?: unknown }): FieldError[] {
  const errors: FieldError[] = [];
  const email = typeof input.email === 'string' ? normaliseEmail(input.email) : input.email;
  if (!isEmailAddress(email)) errors.push({ field: 'email', message: 'must be an e-mail address' });
  if (typeof input.name !== 'string' || !input.name.trim() || input.name.length > 200)
    errors.push({ field: 'name', message: 'must be 1 to 200 characters' });
  if (!TENANT_ROLES.includes(input.role as TenantRole))
    errors.push({ field: 'role', message: `must be one of ${TENANT_ROLES.join(', ')}` });
  return errors;
}

const invalidInvitation = () =>
  validationError('invalid-invitation', 'this invitation token is not valid', [
    { field: 'token', message: 'is not a valid invitation token' },
  ]);

function invite(command: Extract<UserCommand, { type: 'InviteUser' }>, state: UserState): UserEvent[] {
  const errors = userFieldErrors(command);
  if (!SHA256_HEX.test(command.invitationHash))
    errors.push({ field: 'invitationHash', message: 'must be the sha256 of the token, never the token' });
  if (errors.length) throw validationError('invalid-user', 'the user is invalid', errors);
  // Invited again while the invitation is pending in the same tenant: the same user, a new token.
  const pendingHere = state?.status === 'invited' && state.tenantId === command.tenantId;
  if (state && state.status !== 'disabled' && !pendingHere)
    throw conflict('email-taken', `${normaliseEmail(command.email)} already has an account`, {
      errors: [
        { field: 'email', message: 'already used by a user (e-mail addresses sign in, so they are unique)' },
      ],
    });
  return [
    {
      type: 'UserInvited',
      data: {
        userId: pendingHere ? state.userId : command.userId,
        tenantId: command.tenantId,
        email: normaliseEmail(command.email),
        name: command.name.trim(),
        role: command.role,
        invitationHash: command.invitationHash,
        invitationExpiresAt: command.invitationExpiresAt,
        invitedBy: command.invitedBy,
        at: command.now,
      },
    },
  ];
}

/**
 * Why an invitation token (its sha256) cannot be accepted at `now`, or null when it can. The
 * handler asks before it spends a password hash on it; the decider asks again.
 */
export function invitationRefusal(state: UserState, invitationHash: string, now: string): DomainError | null {
  if (!state || state.status === 'disabled' || state.invitation?.hash !== invitationHash)
    return invalidInvitation();
  if (state.status === 'active')
    return conflict('invitation-used', 'this invitation was already accepted: sign in instead');
  if (Date.parse(now) >= Date.parse(state.invitation.expiresAt))
    return ruleViolation('invitation-expired', `this invitation expired at ${state.invitation.expiresAt}`, {
      expiresAt: state.invitation.expiresAt,
    });
  return null;
}

function accept(command: Extract<UserCommand, { type: 'AcceptInvitation' }>, state: UserState): UserEvent[] {
  const refusal = invitationRefusal(state, command.invitationHash, command.now);
  if (refusal) throw refusal;
  if (!command.passwordHash.startsWith('$argon2id$'))
    throw validationError(
      'password-hash-required',
      'pass the argon2id hash of the password, never the password',
    );
  if (!command.totpSecret.startsWith(ENCRYPTED_SECRET_PREFIX))
    throw validationError('encrypted-secret-required', 'pass the encrypted TOTP secret, never the secret');
  return [
    {
      type: 'UserInvitationAccepted',
      data: {
        userId: state!.userId,
        passwordHash: command.passwordHash,
        totpSecret: command.totpSecret,
        at: command.now,
      },
    },
  ];
}

function signIn(command: Extract<UserCommand, { type: 'RecordSignIn' }>, state: UserState): UserEvent[] {
  if (!state || state.status !== 'active')
    throw forbidden('user-not-active', 'this user cannot sign in', { userStatus: state?.status ?? null });
  if (!Number.isSafeInteger(command.totpStep) || command.totpStep < 0)
    throw validationError('invalid-totp-step', 'the TOTP time step is a non-negative integer');
  if (state.lastTotpStep !== null && command.totpStep <= state.lastTotpStep)
    throw forbidden('totp-code-used', 'this code (or a later one) was already used: wait for the next code');
  return [
    { type: 'UserSignedIn', data: { userId: state.userId, totpStep: command.totpStep, at: command.now } },
  ];
}

export const userDecider: Decider<UserCommand, UserState, UserEvent> = {
  initialState: () => null,
  decide(command, state) {
    switch (command.type) {
      case 'InviteUser':
        return invite(command, state);
      case 'AcceptInvitation':
        return accept(command, state);
      case 'RecordSignIn':
        return signIn(command, state);
      case 'DisableUser':
        if (!state) throw new Error('user stream does not exist');
        if (state.status === 'disabled') return [];
        if (command.byUserId === state.userId)
          throw ruleViolation(
            'cannot-disable-yourself',
            'you cannot disable yourself: ask another dr-manager',
          );
        return [
          {
            type: 'UserDisabled',
            data: { userId: state.userId, tenantId: state.tenantId, by: command.by, at: command.now },
          },
        ];
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'UserInvited': {
        const d = event.data;
        const again = state?.userId === d.userId ? state : null;
        return {
          userId: d.userId,
          tenantId: d.tenantId,
          email: d.email,
          name: d.name,
          role: d.role,
          status: 'invited',
          invitation: { hash: d.invitationHash, expiresAt: d.invitationExpiresAt },
          passwordHash: null,
          totpSecret: null,
          lastTotpStep: null,
          invitedAt: again?.invitedAt ?? d.at,
          activatedAt: null,
          lastSignInAt: null,
          disabledAt: null,
        };
      }
      case 'UserInvitationAccepted':
        return state
          ? {
              ...state,
              status: 'active',
              passwordHash: event.data.passwordHash,
              totpSecret: event.data.totpSecret,
              activatedAt: event.data.at,
            }
          : state;
      case 'UserSignedIn':
        return state ? { ...state, lastTotpStep: event.data.totpStep, lastSignInAt: event.data.at } : state;
      case 'UserDisabled':
        return state ? { ...state, status: 'disabled', invitation: null, disabledAt: event.data.at } : state;
      default:
        return assertNever(event);
    }
  },
};
