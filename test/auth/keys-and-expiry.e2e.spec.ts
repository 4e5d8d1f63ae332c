import { rmSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi, type ApiHarness } from '../support/api-harness';
import { runToExit } from '../support/processes';
import { deleteQueueKeys } from '../support/redis-keys';
import { createTenant } from '../support/tenants';
import { accept, invite, PASSWORD, signIn, uniqueEmail } from '../support/users';

describe('invitations expire (e2e)', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    // 0.0005 h = 1.8 s
    api = await startApi({ REPRISE_INVITATION_TTL_HOURS: '0.0005' });
  });
  afterAll(async () => api.close());

  it('an expired invitation is refused (422) and changes nothing; a new invitation works', async () => {
    const tenant = await createTenant(api);
    const email = uniqueEmail('late');
    const invited = await invite(api, tenant.id, 'auditor', { email });
    expect(Date.parse(invited.invitationExpiresAt) - Date.now()).toBeLessThanOrEqual(1800);
    await new Promise((r) => setTimeout(r, 2000));
    const before = await api.eventCount();
    const res = await api.http
      .post('/api/v1/auth/invitations/accept')
      .send({ token: invited.invitationToken, password: PASSWORD })
      .expect(422);
    expect(res.body).toMatchObject({ code: 'invitation-expired', expiresAt: expect.any(String) });
    expect(await api.eventCount()).toBe(before);
    const again = await invite(api, tenant.id, 'auditor', { email });
    expect(again.id).toBe(invited.id);
    await accept(api, again.invitationToken);
  });
});

describe('the encryption key of TOTP secrets (e2e)', () => {
  it('development and test generate it once, keep it (0600) and use it again after a restart', async () => {
    const first = await startApi({ REPRISE_INVITATION_TTL_HOURS: '72' });
    const dataDir = first.dataDir;
    let second: ApiHarness | null = null;
    try {
      const tenant = await createTenant(first);
      const invited = await invite(first, tenant.id, 'dr-manager');
      const enrolment = await accept(first, invited.invitationToken);
      const keyFile = join(dataDir, 'encryption.key');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      await first.app.close();
      second = await startApi({
        ...first.testStore.env,
        SQLITE_PATH: join(dataDir, 'reprise.db'),
        READ_MODEL_PATH: join(dataDir, 'read-models-api-2.db'),
      });
      const signed = await signIn(second, invited.email, PASSWORD, enrolment.totpSecret);
      expect(signed.body.user.id).toBe(invited.id);
    } finally {
      await second?.close();
      await first.testStore.drop();
      await deleteQueueKeys(first.queuePrefix);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('production refuses to start without REPRISE_ENCRYPTION_KEY, or with a malformed one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-key-'));
    try {
      const base = {
        NODE_ENV: 'production',
        REPRISE_ADMIN_TOKEN: 'production-admin-token-0123',
        SQLITE_PATH: join(dir, 'x.db'),
        API_PORT: '0',
      };
      const missing = await runToExit('api', base);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(
        /^\[api\] configuration error: REPRISE_ENCRYPTION_KEY: is required \(not set\)$/m,
      );
      const malformed = await runToExit('api', { ...base, REPRISE_ENCRYPTION_KEY: 'too-short' });
      expect(malformed.code).toBe(1);
      expect(malformed.stderr).toMatch(
        /^\[api\] configuration error: REPRISE_ENCRYPTION_KEY: .*must be 32 random bytes .*\(got "too-short"\)$/m,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
