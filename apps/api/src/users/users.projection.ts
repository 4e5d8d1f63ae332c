import type Database from 'better-sqlite3';
import type { Projection } from '@reprise/event-store/projections/projection-runner';
import type { RecordedEvent } from '@reprise/event-store/event-store.port';
import type { UserEvent, UserStatus } from '@reprise/domain/user/user';

/** Users by id, for the lists and the guard (no secret: no password hash, no TOTP secret). */
export const usersProjection: Projection = {
  name: 'users',
  version: 1,
  streamPrefixes: ['platform/user/'],
  setup(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS users (
      user_id TEXT PRIMARY KEY, email_key TEXT NOT NULL, tenant_id TEXT NOT NULL, email TEXT NOT NULL,
      name TEXT NOT NULL, role TEXT NOT NULL, status TEXT NOT NULL, invited_by TEXT NOT NULL,
      invited_at TEXT NOT NULL, invitation_expires_at TEXT, activated_at TEXT, last_sign_in_at TEXT,
      disabled_at TEXT);
      CREATE INDEX IF NOT EXISTS users_tenant ON users (tenant_id);`);
  },
  reset(db: Database.Database) {
    db.exec('DROP TABLE IF EXISTS users');
  },
  apply(db: Database.Database, recorded: RecordedEvent) {
    const event = recorded as unknown as UserEvent;
    switch (event.type) {
      case 'UserInvited': {
        const d = event.data;
        db.prepare(
          `INSERT INTO users (user_id, email_key, tenant_id, email, name, role, status, invited_by, invited_at, invitation_expires_at)
           VALUES (?, ?, ?, ?, ?, ?, 'invited', ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, role = excluded.role, status = 'invited',
             invited_by = excluded.invited_by, invitation_expires_at = excluded.invitation_expires_at`,
        ).run(
          d.userId,
          recorded.stream.slice('platform/user/'.length),
          d.tenantId,
          d.email,
          d.name,
          d.role,
          d.invitedBy,
          d.at,
          d.invitationExpiresAt,
        );
        return;
      }
      case 'UserInvitationAccepted':
        db.prepare(
          "UPDATE users SET status = 'active', activated_at = ?, invitation_expires_at = NULL WHERE user_id = ?",
        ).run(event.data.at, event.data.userId);
        return;
      case 'UserSignedIn':
        db.prepare('UPDATE users SET last_sign_in_at = ? WHERE user_id = ?').run(
          event.data.at,
          event.data.userId,
        );
        return;
      case 'UserDisabled':
        db.prepare(
          "UPDATE users SET status = 'disabled', disabled_at = ?, invitation_expires_at = NULL WHERE user_id = ?",
        ).run(event.data.at, event.data.userId);
        return;
      default:
        return;
    }
  },
};

export interface UserRow {
  user_id: string;
  email_key: string;
  tenant_id: string;
  email: string;
  name: string;
  role: string;
  status: string;
  invited_by: string;
  invited_at: string;
  invitation_expires_at: string | null;
  activated_at: string | null;
  last_sign_in_at: string | null;
  disabled_at: string | null;
}

/** A user's status in this replica's read model, or null when it does not know them (yet). */
export function userStatusIn(db: Database.Database, userId: string): UserStatus | null {
  return (
    db.prepare<[string], { status: UserStatus }>('SELECT status FROM users WHERE user_id = ?').get(userId)
      ?.status ?? null
  );
}
