import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';
import { codeFor, setAuthorisedPersons, waitUntil } from '../activations/activation-helpers';
import { asText } from '../audit/support';

const CLAIRE = {
  name: 'Claire Vasseur',
  email: 'claire.vasseur@erasure.example',
  phone: '+33 6 11 22 33 44',
};
const MARC = { name: 'Marc Lefort', email: 'marc.lefort@erasure.example', phone: null };

/** Every file under a directory, as raw bytes (the event store, read models, key store, sink...). */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

/**
 * Erasure end to end: a person requests an activation and confirms another, then is erased at the
 * DR manager's request; afterwards their name, e-mail and phone appear nowhere (API, reports,
 * export, read models, the files on disk) and the tenant's audit log still verifies.
 */
describe('erasure of personal data (e2e: api + worker + recovery cloud)', () => {
  let stack: Stack;
  let t: Awaited<ReturnType<typeof createTenant>>;
  let testId: string;
  let disasterId: string;
  const get = async (path: string, token = t.auditor) =>
    (await stack.api.http.get(`/api/v1${path}`).set(bearer(token)).expect(200)).body;
  const text = async (path: string, token = t.auditor) =>
    (await stack.api.http.get(`/api/v1${path}`).set(bearer(token)).buffer(true).parse(asText).expect(200))
      .body as string;

  beforeAll(async () => {
    process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS = '2';
    stack = await startStack();
    t = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    await enrol(stack.api, t.manager, [{ hostname: 'er-db' }, { hostname: 'er-app', dependsOn: ['er-db'] }]);
    await setAuthorisedPersons(stack, t.manager, [CLAIRE, MARC]);
    // Claire requests a DRP test...
    testId = (
      await stack.api.http
        .post('/api/v1/activations')
        .set(bearer(t.manager))
        .send({ type: 'test', scope: 'full', requestedBy: { name: CLAIRE.name, email: CLAIRE.email } })
        .expect(202)
    ).body.id;
    await waitForStatus(stack.api, t.manager, testId, ['completed', 'completed-with-failures'], 60_000);
    await stack.api.http
      .post(`/api/v1/activations/${testId}/close`)
      .set(bearer(t.manager))
      .send({})
      .expect(200);
    // ...and confirms the disaster Marc requests.
    disasterId = (
      await stack.api.http
        .post('/api/v1/activations')
        .set(bearer(t.manager))
        .send({ type: 'disaster', scope: 'full', requestedBy: { name: MARC.name, email: MARC.email } })
        .expect(202)
    ).body.id;
    const code = await codeFor(stack, disasterId, CLAIRE.email);
    await stack.api.http
      .post(`/api/v1/activations/${disasterId}/confirm`)
      .set(bearer(t.manager))
      .send({ email: CLAIRE.email, code })
      .expect(200);
    await waitForStatus(stack.api, t.manager, disasterId, ['completed', 'completed-with-failures'], 60_000);
  }, 120_000);
  afterAll(async () => {
    delete process.env.AUDIT_TREE_HEAD_INTERVAL_SECONDS;
    await stack?.close();
  }, 30_000);

  it("exports the person's own data on request, and stores none of it in clear", async () => {
    const exported = await get(`/privacy/export?email=${encodeURIComponent(CLAIRE.email)}`, t.manager);
    expect(exported.email).toBe(CLAIRE.email);
    const values = exported.items.flatMap((i: { fields: { value: string }[] }) =>
      i.fields.map((f) => f.value),
    );
    expect(values).toEqual(expect.arrayContaining([CLAIRE.name, CLAIRE.email, CLAIRE.phone]));
    const types = exported.items.map((i: { type: string }) => i.type);
    expect(types).toEqual(
      expect.arrayContaining(['AuthorisedPersonsChanged', 'ActivationRequested', 'ActivationConfirmed']),
    );
    // Before any erasure, the person's data is already encrypted at rest (event store, read models).
    for (const file of filesUnder(stack.api.dataDir))
      for (const secret of [CLAIRE.name, CLAIRE.email, CLAIRE.phone])
        expect({ file: file.path, found: file.bytes.includes(secret) }).toEqual({
          file: file.path,
          found: false,
        });
    // ...and in the event store itself, whichever it is (SQLite file or PostgreSQL tables).
    for (const secret of [CLAIRE.name, CLAIRE.email, CLAIRE.phone])
      expect(await stack.api.testStore.holds(secret)).toBe(false);
    // Only dr-managers export or erase.
    await stack.api.http
      .get(`/api/v1/privacy/export?email=${CLAIRE.email}`)
      .set(bearer(t.auditor))
      .expect(403);
    await stack.api.http
      .post('/api/v1/privacy/erasure')
      .set(bearer(t.auditor))
      .send({ email: CLAIRE.email })
      .expect(403);
  });

  it('refuses bad input and unknown persons without changing anything', async () => {
    const before = await stack.api.eventCount();
    for (const body of [
      {},
      { email: 'not-an-email' },
      { email: 42 },
      { email: 'x'.repeat(300) + '@a.example' },
    ]) {
      const res = await stack.api.http
        .post('/api/v1/privacy/erasure')
        .set(bearer(t.manager))
        .send(body)
        .expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('email');
    }
    const unknown = await stack.api.http
      .post('/api/v1/privacy/erasure')
      .set(bearer(t.manager))
      .send({ email: 'nobody@erasure.example' })
      .expect(404);
    expect(JSON.stringify(unknown.body)).not.toContain('nobody@');
    await stack.api.http
      .get('/api/v1/privacy/export?email=nobody@erasure.example')
      .set(bearer(t.manager))
      .expect(404);
    await stack.api.http.get('/api/v1/privacy/export').set(bearer(t.manager)).expect(400);
    expect(await stack.api.eventCount()).toBe(before);
  });

  it('erases the person: they read "erased" everywhere, and the log still verifies', async () => {
    const before = await get('/audit/verify');
    expect(before).toMatchObject({ valid: true });
    const erased = await stack.api.http
      .post('/api/v1/privacy/erasure')
      .set(bearer(t.manager))
      .send({ email: CLAIRE.email.toUpperCase() })
      .expect(200);
    expect(erased.body).toMatchObject({
      status: 'erased',
      subjectId: expect.any(String),
      seq: expect.any(Number),
    });

    const plan = await get('/plan');
    expect(plan.authorisedPersons).toEqual([
      { name: 'erased', email: 'erased', phone: 'erased' },
      { name: MARC.name, email: MARC.email, phone: null },
    ]);
    const test = await get(`/activations/${testId}`);
    expect(test.requestedBy).toEqual({ name: 'erased', email: 'erased' });
    const disaster = await get(`/activations/${disasterId}`);
    expect(disaster.requestedBy).toEqual({ name: MARC.name, email: MARC.email });
    expect(disaster.confirmedBy).toMatchObject({ name: 'erased', email: 'erased' });

    const everything = [
      JSON.stringify(plan),
      JSON.stringify(test),
      JSON.stringify(disaster),
      JSON.stringify(await get(`/activations/${testId}/events`)),
      JSON.stringify(await get(`/activations/${disasterId}/events`)),
      JSON.stringify(await get(`/activations/${testId}/report`)),
      await text(`/activations/${testId}/report?format=html`),
      JSON.stringify(await get('/audit/events?limit=1000')),
      await text('/audit/export'),
      JSON.stringify(await get('/plan/authorised-persons', t.manager)),
    ].join('\n');
    for (const secret of [CLAIRE.name, CLAIRE.email, CLAIRE.phone, 'Vasseur', 'claire.vasseur'])
      expect(everything.includes(secret)).toBe(false);
    expect(everything).toContain(MARC.name);
    for (const file of filesUnder(stack.api.dataDir))
      for (const secret of [CLAIRE.name, CLAIRE.email, CLAIRE.phone])
        expect(file.bytes.includes(secret)).toBe(false);
    for (const secret of [CLAIRE.name, CLAIRE.email, CLAIRE.phone])
      expect(await stack.api.testStore.holds(secret)).toBe(false);

    // Nothing is left to export, and asking again finds nothing to erase.
    await stack.api.http
      .get(`/api/v1/privacy/export?email=${CLAIRE.email}`)
      .set(bearer(t.manager))
      .expect(404);
    await stack.api.http
      .post('/api/v1/privacy/erasure')
      .set(bearer(t.manager))
      .send({ email: CLAIRE.email })
      .expect(404);

    // The erasure is an event of the tenant's log (naming no one), and the log still verifies.
    const audit = (await get('/audit/events?limit=1000')).items as {
      type: string;
      data: Record<string, unknown>;
    }[];
    const record = audit.find((e) => e.type === 'PersonalDataErased');
    expect(record?.data).toEqual({ subjectId: erased.body.subjectId, at: expect.any(String) });
    const after = await get('/audit/verify');
    expect(after).toMatchObject({ valid: true, problems: [] });
    expect(after.checkedEvents).toBeGreaterThan(before.checkedEvents);
    // ...including under the next signed head, which covers the erasure.
    await waitUntil(
      async () => {
        const head = await stack.api.http.get('/api/v1/audit/tree-heads/latest').set(bearer(t.auditor));
        return head.status === 200 && head.body.treeSize > before.checkedEvents;
      },
      'a head covering the erasure',
      90_000,
      200,
    );
    expect(await get('/audit/verify')).toMatchObject({ valid: true });
    // A report built after the erasure still proves its events.
    expect((await get(`/activations/${testId}/report`)).proof.status).toMatch(/verified|partly-signed/);
  }, 120_000);
});
