import { DomainError } from '../shared/errors';
import { apiKeyDecider } from './api-key';
import { tenantDecider } from './tenant';

const NOW = '2026-01-05T09:00:00.000Z';

describe('tenant decider', () => {
  it('creates a tenant with defaults', () => {
    const [event] = tenantDecider.decide(
      {
        type: 'CreateTenant',
        tenantId: 't',
        input: { name: 'Acme', customerNumber: 'C-1', domain: 'Acme.example' },
        now: NOW,
      },
      null,
    );
    expect(event.data).toMatchObject({
      timeZone: 'Europe/Paris',
      activationWindow: 'business-hours',
      domain: 'acme.example',
      notificationWebhookUrl: null,
    });
  });
  it('lists every invalid field', () => {
    try {
      tenantDecider.decide(
        {
          type: 'CreateTenant',
          tenantId: 't',
          input: {
            name: '',
            customerNumber: '',
            domain: 'bad_domain',
            timeZone: 'Mars/Olympus',
            notificationWebhookUrl: 'ftp://x',
          },
          now: NOW,
        },
        null,
      );
      throw new Error('expected');
    } catch (e) {
      expect((e as DomainError).details.errors?.map((x) => x.field)).toEqual([
        'name',
        'customerNumber',
        'domain',
        'timeZone',
        'notificationWebhookUrl',
      ]);
    }
  });
  it('changes settings; no-op emits nothing', () => {
    const state = tenantDecider.evolve(
      null,
      tenantDecider.decide(
        {
          type: 'CreateTenant',
          tenantId: 't',
          input: { name: 'A', customerNumber: 'C', domain: 'a.example' },
          now: NOW,
        },
        null,
      )[0],
    );
    expect(
      tenantDecider.decide({ type: 'ChangeTenantSettings', changes: { activationWindow: '24x7' } }, state),
    ).toEqual([{ type: 'TenantSettingsChanged', data: { activationWindow: '24x7' } }]);
    expect(
      tenantDecider.decide(
        { type: 'ChangeTenantSettings', changes: { activationWindow: 'business-hours' } },
        state,
      ),
    ).toEqual([]);
  });
});

describe('api key decider', () => {
  it('issues then revokes once', () => {
    const issued = apiKeyDecider.decide(
      {
        type: 'IssueApiKey',
        keyId: 'k',
        tenantId: 't',
        name: 'n',
        role: 'auditor',
        tokenHash: 'h',
        tokenPrefix: 'rpk_',
        now: NOW,
      },
      null,
    );
    const state = issued.reduce(apiKeyDecider.evolve, null);
    const revoked = apiKeyDecider.decide({ type: 'RevokeApiKey', now: NOW }, state);
    expect(revoked[0].type).toBe('ApiKeyRevoked');
    expect(
      apiKeyDecider.decide({ type: 'RevokeApiKey', now: NOW }, revoked.reduce(apiKeyDecider.evolve, state)),
    ).toEqual([]);
  });
});
