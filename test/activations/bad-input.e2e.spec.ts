import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, createTenant, enrol, startStack, type Stack } from '../support/stack';
import { BRUNO, CLAIRE, codeFor, setAuthorisedPersons, wrongCodeFor } from './activation-helpers';

/**
 * The activation routes' edges: invalid input never reaches the event store, roles and tenants are
 * enforced, `?asOf=` replays what the live view showed, and the SSE stream gives the recorded events
 * then the live ones.
 */
describe('activation routes: bad input, roles, tenants, asOf, SSE (e2e)', () => {
  let stack: Stack;
  let a: Awaited<ReturnType<typeof createTenant>>;
  let b: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    stack = await startStack({ timeScale: 600 });
    a = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    b = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    for (const t of [a, b]) {
      await enrol(stack.api, t.manager, [
        { hostname: 'dc-1' },
        { hostname: 'db-1', dependsOn: ['dc-1'], diskGiB: 150 },
        { hostname: 'app-1', dependsOn: ['db-1'] },
        { hostname: 'web-1', dependsOn: ['app-1'], family: 'linux' },
        { hostname: 'file-1', diskGiB: 100 },
      ]);
      await setAuthorisedPersons(stack, t.manager, [CLAIRE, BRUNO]);
    }
  }, 60_000);
  afterAll(async () => stack?.close());

  const post = (token: string, path: string) =>
    stack.api.http.post(`/api/v1/activations${path}`).set(bearer(token));
  const valid = { type: 'test', scope: 'full', requestedBy: CLAIRE };

  /** Waits for the store to be quiet (the delivery of a code is recorded after the webhook answers). */
  async function quiet() {
    let count = await stack.api.eventCount();
    for (;;) {
      await new Promise((r) => setTimeout(r, 150));
      const now = await stack.api.eventCount();
      if (now === count) return;
      count = now;
    }
  }

  /** Sends, expects a 400 problem naming every listed field, and proves nothing was recorded. */
  async function refused(
    send: () => Promise<{
      status: number;
      headers: Record<string, string>;
      body: { code?: string; errors?: Array<{ field: string }> };
    }>,
    fields: string[],
  ) {
    const before = await stack.api.eventCount();
    const res = await send();
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const named = (res.body.errors ?? []).map((e) => e.field);
    for (const field of fields) expect(named).toContain(field);
    expect(await stack.api.eventCount()).toBe(before);
    return res.body;
  }

  describe('invalid input → 400 problem+json naming the fields, nothing recorded', () => {
    it('POST /activations', async () => {
      await refused(() => post(a.manager, '').send({}), ['type', 'scope', 'requestedBy']);
      await refused(
        () => post(a.manager, '').send({ type: 42, scope: 7, requestedBy: 'claire', reason: 12 }),
        ['type', 'scope', 'requestedBy', 'reason'],
      );
      await refused(() => post(a.manager, '').send({ ...valid, type: 'drill' }), ['type']);
      await refused(() => post(a.manager, '').send({ ...valid, scope: 'partial' }), ['scope']);
      await refused(() => post(a.manager, '').send({ ...valid, scope: { servers: [] } }), ['scope']);
      await refused(
        () => post(a.manager, '').send({ ...valid, scope: { servers: ['dc-1'], extra: true } }),
        ['scope'],
      );
      await refused(
        () => post(a.manager, '').send({ ...valid, requestedBy: { name: 'Claire', email: 'not-an-email' } }),
        ['requestedBy.email'],
      );
      await refused(() => post(a.manager, '').send({ ...valid, priority: 'high' }), ['priority']);
      const malformed = await refused(
        () => post(a.manager, '').set('content-type', 'application/json').send('{"type": "test", '),
        ['body'],
      );
      expect(malformed.code).toBe('malformed-json');
    });

    it('confirm, escalate, abort', async () => {
      const created = await post(a.manager, '')
        .send({ type: 'disaster', scope: 'full', requestedBy: CLAIRE })
        .expect(202);
      const id = created.body.id as string;
      await codeFor(stack, id, BRUNO.email);
      await quiet();
      try {
        await refused(() => post(a.manager, `/${id}/confirm`).send({}), ['email', 'code']);
        await refused(
          () => post(a.manager, `/${id}/confirm`).send({ email: 'bruno', code: 12345678 }),
          ['email', 'code'],
        );
        await refused(
          () =>
            post(a.manager, `/${id}/confirm`).send({ email: BRUNO.email, code: 'ABCD-EFGH', trustMe: true }),
          ['trustMe'],
        );
        await refused(
          () => post(a.manager, `/${id}/confirm`).set('content-type', 'application/json').send('{"email":'),
          ['body'],
        );
        await refused(() => post(a.manager, `/${id}/escalate`).send({ scope: 'everything' }), ['scope']);
        await refused(() => post(a.manager, `/${id}/abort`).send({}), ['reason']);
        await refused(() => post(a.manager, `/${id}/abort`).send({ reason: 5 }), ['reason']);
        await refused(
          () => post(a.manager, `/${id}/abort`).send({ reason: 'x', by: { name: 'x' } }),
          ['by.email'],
        );
        // A malformed activation id is refused, named, before anything is read.
        await refused(() => post(a.manager, '/not-a-uuid/abort').send({ reason: 'x' }), ['id']);
        // Still awaiting its confirmation: none of the above touched it.
        const view = await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(a.manager)).expect(200);
        expect(view.body.status).toBe('awaiting-confirmation');
      } finally {
        await post(a.manager, `/${id}/abort`).send({ reason: 'test over' }).expect(200);
      }
    });

    it('query parameters', async () => {
      const list = await stack.api.http.get('/api/v1/activations?status=burning').set(bearer(a.manager));
      expect(list.status).toBe(400);
      expect(list.body.errors.map((e: { field: string }) => e.field)).toContain('status');
      const created = await stack.api.http.get('/api/v1/activations').set(bearer(a.manager)).expect(200);
      const id = created.body.items[0].id;
      const asOf = await stack.api.http
        .get(`/api/v1/activations/${id}?asOf=yesterday`)
        .set(bearer(a.manager));
      expect(asOf.status).toBe(400);
      expect(asOf.body.errors.map((e: { field: string }) => e.field)).toContain('asOf');
      const before = await stack.api.http
        .get(`/api/v1/activations/${id}?asOf=2000-01-01T00:00:00Z`)
        .set(bearer(a.manager));
      expect(before.status).toBe(400);
      expect(before.body.code).toBe('before-activation');
    });
  });

  describe('roles and tenants', () => {
    it('an auditor cannot write; a scheduler cannot request a disaster or an alert, nor confirm', async () => {
      const before = await stack.api.eventCount();
      for (const body of [valid, { ...valid, type: 'disaster' }])
        expect((await post(a.auditor, '').send(body)).status).toBe(403);
      expect((await post(a.scheduler, '').send({ ...valid, type: 'disaster' })).status).toBe(403);
      expect((await post(a.scheduler, '').send({ ...valid, type: 'alert' })).status).toBe(403);
      expect((await stack.api.http.post('/api/v1/activations').send(valid)).status).toBe(401);
      expect(await stack.api.eventCount()).toBe(before);

      const created = await post(a.manager, '')
        .send({ type: 'disaster', scope: 'full', requestedBy: CLAIRE })
        .expect(202);
      const id = created.body.id as string;
      const code = await codeFor(stack, id, BRUNO.email);
      await quiet();
      const count = await stack.api.eventCount();
      expect((await post(a.scheduler, `/${id}/confirm`).send({ email: BRUNO.email, code })).status).toBe(403);
      expect((await post(a.auditor, `/${id}/confirm`).send({ email: BRUNO.email, code })).status).toBe(403);
      expect((await post(a.auditor, `/${id}/abort`).send({ reason: 'no' })).status).toBe(403);
      expect((await post(a.scheduler, `/${id}/abort`).send({ reason: 'no' })).status).toBe(403);
      expect(await stack.api.eventCount()).toBe(count);
      // Readers may read.
      await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(a.auditor)).expect(200);
      await stack.api.http.get(`/api/v1/activations/${id}/events`).set(bearer(a.scheduler)).expect(200);
      await post(a.manager, `/${id}/abort`).send({ reason: 'test over' }).expect(200);
    });

    it("tenant B's token on tenant A's activation → 404, and lists do not leak", async () => {
      const created = await post(a.manager, '')
        .send({ type: 'disaster', scope: 'full', requestedBy: CLAIRE })
        .expect(202);
      const id = created.body.id as string;
      const code = await codeFor(stack, id, BRUNO.email);
      await quiet();
      try {
        const before = await stack.api.eventCount();
        for (const path of ['', '/events', '/report', `?asOf=${new Date().toISOString()}`]) {
          const res = await stack.api.http.get(`/api/v1/activations/${id}${path}`).set(bearer(b.manager));
          expect([path, res.status]).toEqual([path, 404]);
        }
        const stream = await stack.api.http.get(`/api/v1/activations/${id}/stream`).set(bearer(b.auditor));
        expect(stream.status).toBe(404);
        for (const [path, body] of [
          ['/confirm', { email: BRUNO.email, code }],
          ['/escalate', { scope: 'full' }],
          ['/stand-down', {}],
          ['/abort', { reason: 'hostile' }],
          ['/close', {}],
          ['/failback', {}],
        ] as const) {
          const res = await post(b.manager, `/${id}${path}`).send(body);
          expect([path, res.status]).toEqual([path, 404]);
        }
        expect(await stack.api.eventCount()).toBe(before);
        const listB = await stack.api.http.get('/api/v1/activations').set(bearer(b.manager)).expect(200);
        expect(listB.body.items.map((x: { id: string }) => x.id)).not.toContain(id);
        const listA = await stack.api.http.get('/api/v1/activations').set(bearer(a.auditor)).expect(200);
        expect(listA.body.items.map((x: { id: string }) => x.id)).toContain(id);
        // B's own activation does not overlap with A's.
        const own = await post(b.manager, '')
          .send({ type: 'alert', scope: 'full', requestedBy: CLAIRE })
          .expect(202);
        await post(b.manager, `/${own.body.id}/stand-down`).send({}).expect(200);
        // And A still awaits its confirmation.
        const view = await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(a.manager)).expect(200);
        expect(view.body.status).toBe('awaiting-confirmation');
      } finally {
        await post(a.manager, `/${id}/abort`).send({ reason: 'test over' }).expect(200);
      }
    });
  });

  describe('replay and live stream', () => {
    type View = {
      status: string;
      network?: { phase: string };
      servers: Array<Record<string, unknown>>;
    };
    /** What must be identical between the live view and the replay (not the `now`-relative figures). */
    const stable = (v: View) => ({
      status: v.status,
      network: v.network?.phase ?? null,
      servers: v.servers.map((s) => ({
        hostname: s.hostname,
        phase: s.phase,
        restoreStartedAt: s.restoreStartedAt,
        restoredAt: s.restoredAt,
        bootStartedAt: s.bootStartedAt,
        availableAt: s.availableAt,
        health: s.health,
      })),
    });

    it('?asOf= at a moment between two steps equals what the live view showed then', async () => {
      const created = await post(b.manager, '').send(valid).expect(202);
      const id = created.body.id as string;
      const snapshots: Array<ReturnType<typeof stable>> = [];
      for (;;) {
        const live = (await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(b.manager)))
          .body as View;
        const s = stable(live);
        if (JSON.stringify(s) !== JSON.stringify(snapshots[snapshots.length - 1])) snapshots.push(s);
        if (live.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(snapshots[snapshots.length - 1].status).toBe('completed');
      // Mid-run moments: some servers available, some not yet.
      const midRun = snapshots.filter(
        (s) =>
          s.status === 'running' &&
          s.servers.some((x) => x.phase === 'ok') &&
          s.servers.some((x) => x.phase !== 'ok'),
      );
      expect(midRun.length).toBeGreaterThanOrEqual(2);
      const picked = [midRun[0], midRun[Math.floor(midRun.length / 2)], midRun[midRun.length - 1]];

      const events = (
        await stack.api.http.get(`/api/v1/activations/${id}/events`).set(bearer(b.manager)).expect(200)
      ).body as Array<{ seq: number; at: string }>;
      const times = [...new Set(events.map((e) => e.at))].sort();
      // Each moment is strictly between two recorded times: the replay holds what was recorded up to it.
      const moments = times.map((t, i) =>
        i + 1 < times.length ? new Date((Date.parse(t) + Date.parse(times[i + 1])) / 2).toISOString() : t,
      );
      const replays: Array<ReturnType<typeof stable>> = [];
      for (const at of moments) {
        const res = await stack.api.http
          .get(`/api/v1/activations/${id}?asOf=${encodeURIComponent(at)}`)
          .set(bearer(b.manager))
          .expect(200);
        replays.push(stable(res.body));
      }
      // Every state the live view showed mid-run is the replay of one such moment, in the same order.
      let last = -1;
      for (const snapshot of picked) {
        const index = replays.findIndex(
          (r, i) => i > last - 1 && JSON.stringify(r) === JSON.stringify(snapshot),
        );
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).toBeGreaterThanOrEqual(last);
        last = index;
      }
      // And the replay at the end is the final live state.
      expect(replays[replays.length - 1]).toEqual(snapshots[snapshots.length - 1]);
      await post(b.manager, `/${id}/close`).send({}).expect(200);
    }, 40_000);

    interface SseMessage {
      id: string;
      event: string;
      data: { seq: number; type: string };
    }

    /** Opens the SSE stream with node's http client and parses `id:`/`event:`/`data:` lines. */
    function openStream(token: string, id: string, headers: Record<string, string> = {}) {
      const { port } = stack.api.app.getHttpServer().address() as AddressInfo;
      const messages: SseMessage[] = [];
      let status = 0;
      let contentType = '';
      const req = get(
        {
          host: '127.0.0.1',
          port,
          path: `/api/v1/activations/${id}/stream`,
          headers: { ...bearer(token), accept: 'text/event-stream', ...headers },
        },
        (res) => {
          status = res.statusCode ?? 0;
          contentType = String(res.headers['content-type'] ?? '');
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const message: Record<string, string> = {};
              for (const line of block.split('\n')) {
                const colon = line.indexOf(':');
                if (colon <= 0) continue;
                const field = line.slice(0, colon);
                const value = line.slice(colon + 1).replace(/^ /, '');
                message[field] =
                  message[field] !== undefined && field === 'data' ? `${message[field]}\n${value}` : value;
              }
              if (message.data !== undefined)
                messages.push({ id: message.id, event: message.event, data: JSON.parse(message.data) });
            }
          });
        },
      );
      req.on('error', () => undefined);
      return {
        messages,
        get status() {
          return status;
        },
        get contentType() {
          return contentType;
        },
        async waitFor(count: number, timeoutMs = 5000) {
          const start = Date.now();
          while (messages.length < count) {
            if (Date.now() - start > timeoutMs)
              throw new Error(`SSE: ${messages.length} of ${count} messages: ${JSON.stringify(messages)}`);
            await new Promise((r) => setTimeout(r, 20));
          }
          return messages;
        },
        close: () => req.destroy(),
      };
    }

    it('GET /activations/:id/stream delivers the recorded events, then live ones', async () => {
      const created = await post(a.manager, '')
        .send({ type: 'disaster', scope: 'full', requestedBy: CLAIRE })
        .expect(202);
      const id = created.body.id as string;
      const code = await codeFor(stack, id, BRUNO.email);
      const stream = openStream(a.auditor, id);
      try {
        // Recorded: requested, confirmation requested.
        const recorded = await stream.waitFor(2);
        expect(stream.status).toBe(200);
        expect(stream.contentType).toMatch(/text\/event-stream/);
        expect(recorded.map((m) => m.event)).toEqual(['ActivationRequested', 'ConfirmationRequested']);
        // Live: a wrong code, then the abort.
        await post(a.manager, `/${id}/confirm`)
          .send({ email: BRUNO.email, code: wrongCodeFor(code) })
          .expect(403);
        await stream.waitFor(3);
        await post(a.manager, `/${id}/abort`).send({ reason: 'drill over' }).expect(200);
        const all = await stream.waitFor(4);
        expect(all.map((m) => m.event)).toEqual([
          'ActivationRequested',
          'ConfirmationRequested',
          'ConfirmationAttemptFailed',
          'ActivationAborted',
        ]);
        // Ids are the stream revisions, data is the event as GET /events gives it.
        expect(all.map((m) => m.id)).toEqual(['0', '1', '2', '3']);
        const events = (
          await stack.api.http.get(`/api/v1/activations/${id}/events`).set(bearer(a.manager)).expect(200)
        ).body;
        expect(all.map((m) => m.data)).toEqual(events);
        expect(JSON.stringify(all)).not.toContain(code);
      } finally {
        stream.close();
      }
      // Last-Event-ID resumes after the given revision.
      const resumed = openStream(a.manager, id, { 'last-event-id': '1' });
      try {
        const rest = await resumed.waitFor(2);
        expect(rest.map((m) => m.id)).toEqual(['2', '3']);
        await new Promise((r) => setTimeout(r, 200));
        expect(resumed.messages).toHaveLength(2);
      } finally {
        resumed.close();
      }
    });
  });
});
