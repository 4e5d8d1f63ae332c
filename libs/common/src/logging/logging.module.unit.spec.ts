import { redactRequest } from './logging.module';

describe('request logs', () => {
  it('never carry personal data given in the query (the privacy export asks by e-mail)', () => {
    const logged = redactRequest({
      method: 'GET',
      url: '/api/v1/privacy/export?email=claire%40acme.example&x=1',
      query: { email: 'claire@acme.example', x: '1' },
    });
    expect(logged).toEqual({
      method: 'GET',
      url: '/api/v1/privacy/export?email=[redacted]&x=1',
      query: { email: '[redacted]', x: '1' },
    });
    expect(JSON.stringify(logged)).not.toContain('claire');
    expect(redactRequest({ url: '/x?a=1&Name=Bob&phone=123' }).url).toBe(
      '/x?a=1&Name=[redacted]&phone=[redacted]',
    );
  });
});
