import { deciderSpecification } from '../shared/testing/specification';
import { userDecider, type UserCommand, type UserEvent } from './user';

const { given } = deciderSpecification(userDecider);

const NOW = '2026-01-05T09:00:00.000Z';
const later = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
const HASH = 'a'.repeat(64);
const OTHER_HASH = 'b'.repeat(64);
const PASSWORD_HASH = '$argon2id$v=19$m=47104,t=1,p=1$c2FsdA$aGFzaA';
const SECRET = 'aes-256-gcm:k1:aXY:Y3Q:dGFn';

const invite = (overrides: Partial<Extract<UserCommand, { type: 'InviteUser' }>> = {}): UserCommand => ({
  type: 'InviteUser',
  userId: 'u-1',
  tenantId: 't-1',
  email: ' Claire@Acme.example ',
  name: ' Claire Martin ',
  role: 'dr-manager',
  invitationHash: HASH,
  invitationExpiresAt: later(60),
  invitedBy: 'admin',
  now: NOW,
  ...overrides,
});

const invited: UserEvent = {
  type: 'UserInvited',
  data: {
    userId: 'u-1',
    tenantId: 't-1',
    email: 'claire@acme.example',
    name: 'Claire Martin',
    role: 'dr-manager',
    invitationHash: HASH,
    invitationExpiresAt: later(60),
    invitedBy: 'admin',
    at: NOW,
  },
};

const accept = (
  overrides: Partial<Extract<UserCommand, { type: 'AcceptInvitation' }>> = {},
): UserCommand => ({
  type: 'AcceptInvitation',
  invitationHash: HASH,
  passwordHash: PASSWORD_HASH,
  totpSecret: SECRET,
  now: later(5),
  ...overrides,
});

const accepted: UserEvent = {
  type: 'UserInvitationAccepted',
  data: { userId: 'u-1', passwordHash: PASSWORD_HASH, totpSecret: SECRET, at: later(5) },
};

const signedIn = (step: number): UserEvent => ({
  type: 'UserSignedIn',
  data: { userId: 'u-1', totpStep: step, at: later(10) },
});

const disabled: UserEvent = {
  type: 'UserDisabled',
  data: { userId: 'u-1', tenantId: 't-1', by: 'user:u-2', at: later(20) },
};

describe('user decider', () => {
  describe('invitation', () => {
    it('records the invitation with a normalised e-mail and only the hash of the token', () => {
      given().when(invite()).then([invited]);
    });

    it('lists every invalid field and refuses a token in place of its hash', () => {
      const error = given()
        .when(invite({ email: 'nope', name: ' ', role: 'admin' as never, invitationHash: 'rpi_token' }))
        .thenThrows('validation', 'invalid-user');
      expect(error.details.errors?.map((e) => e.field)).toEqual(['email', 'name', 'role', 'invitationHash']);
    });

    it('invited again while pending in the same tenant: same user, new token', () => {
      given([invited])
        .when(invite({ userId: 'u-other', invitationHash: OTHER_HASH, now: later(30) }))
        .then([
          {
            type: 'UserInvited',
            data: { ...invited.data, invitationHash: OTHER_HASH, at: later(30) },
          },
        ]);
    });

    it('an address with an account (active, or pending in another tenant) cannot be invited', () => {
      given([invited, accepted]).when(invite()).thenThrows('conflict', 'email-taken');
      given([invited])
        .when(invite({ tenantId: 't-2' }))
        .thenThrows('conflict', 'email-taken');
    });

    it('a disabled address can be invited again: a new user', () => {
      const [event] = given([invited, accepted, disabled])
        .when(invite({ userId: 'u-9', tenantId: 't-2', role: 'auditor' }))
        .then([
          {
            type: 'UserInvited',
            data: { ...invited.data, userId: 'u-9', tenantId: 't-2', role: 'auditor' },
          },
        ]);
      const state = userDecider.evolve(given([invited, accepted, disabled]).state, event);
      expect(state).toMatchObject({
        userId: 'u-9',
        status: 'invited',
        passwordHash: null,
        lastTotpStep: null,
      });
    });
  });

  describe('accepting the invitation', () => {
    it('records the password hash and the encrypted TOTP secret; the user is active', () => {
      given([invited]).when(accept()).then([accepted]);
      expect(given([invited, accepted]).state).toMatchObject({ status: 'active', activatedAt: later(5) });
    });

    it('refuses a wrong, used, expired or revoked invitation', () => {
      given().when(accept()).thenThrows('validation', 'invalid-invitation');
      given([invited])
        .when(accept({ invitationHash: OTHER_HASH }))
        .thenThrows('validation', 'invalid-invitation');
      given([invited, accepted]).when(accept()).thenThrows('conflict', 'invitation-used');
      given([invited])
        .when(accept({ now: later(60) }))
        .thenThrows('rule', 'invitation-expired');
      given([invited, disabled]).when(accept()).thenThrows('validation', 'invalid-invitation');
    });

    it('never records a clear password or a clear TOTP secret', () => {
      given([invited])
        .when(accept({ passwordHash: 'correct horse battery staple' }))
        .thenThrows('validation', 'password-hash-required');
      given([invited])
        .when(accept({ totpSecret: 'JBSWY3DPEHPK3PXP' }))
        .thenThrows('validation', 'encrypted-secret-required');
    });
  });

  describe('sign-in', () => {
    it('records the TOTP time step used', () => {
      given([invited, accepted])
        .when({ type: 'RecordSignIn', totpStep: 100, now: later(10) })
        .then([signedIn(100)]);
    });

    it('refuses a replayed code: the same step or an earlier one', () => {
      given([invited, accepted, signedIn(100)])
        .when({ type: 'RecordSignIn', totpStep: 100, now: later(10) })
        .thenThrows('forbidden', 'totp-code-used');
      given([invited, accepted, signedIn(100)])
        .when({ type: 'RecordSignIn', totpStep: 99, now: later(10) })
        .thenThrows('forbidden', 'totp-code-used');
      given([invited, accepted, signedIn(100)])
        .when({ type: 'RecordSignIn', totpStep: 101, now: later(10) })
        .then([signedIn(101)]);
    });

    it('an invited or disabled user cannot sign in', () => {
      given([invited])
        .when({ type: 'RecordSignIn', totpStep: 1, now: later(10) })
        .thenThrows('forbidden', 'user-not-active');
      given([invited, accepted, disabled])
        .when({ type: 'RecordSignIn', totpStep: 1, now: later(30) })
        .thenThrows('forbidden', 'user-not-active');
    });
  });

  describe('disabling', () => {
    it('disables once', () => {
      given([invited, accepted])
        .when({ type: 'DisableUser', by: 'user:u-2', byUserId: 'u-2', now: later(20) })
        .then([disabled]);
      given([invited, accepted, disabled])
        .when({ type: 'DisableUser', by: 'user:u-2', byUserId: 'u-2', now: later(21) })
        .thenNothing();
    });

    it('nobody disables themselves', () => {
      given([invited, accepted])
        .when({ type: 'DisableUser', by: 'user:u-1', byUserId: 'u-1', now: later(20) })
        .thenThrows('rule', 'cannot-disable-yourself');
    });
  });
});
