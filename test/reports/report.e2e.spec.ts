import { randomUUID } from 'node:crypto';
import {
  evolveActivation,
  initialActivationState,
  type ActivationEvent,
  type ActivationState,
} from '@reprise/domain/activation';
import { buildReport } from '@reprise/domain/report';
import {
  FIVE_BOOT_FAILURE,
  LAUNCH,
  fiveServerExample,
  minutesAfter,
  scenarioEvents,
  snapshot,
} from '@reprise/domain/report/testing/report-scenarios';
import { streams } from '@reprise/domain/shared/streams';
import { tenantDecider, type TenantState } from '@reprise/domain/tenant/tenant';
import { startApi, type ApiHarness } from '../support/api-harness';
import { admin, bearer, createTenant, recordActivation, type TenantKeys } from './support';

const round1 = (n: number) => Math.round(n * 10) / 10;
const minutesBetween = (from: string, to: string) => round1((Date.parse(to) - Date.parse(from)) / 60_000);

/** What the events say, computed independently of the report builder. */
function expectedFromEvents(events: ActivationEvent[]) {
  const requested = events.find((e) => e.type === 'ActivationRequested')!;
  if (requested.type !== 'ActivationRequested') throw new Error('unreachable');
  const launch = events.find((e) => e.type === 'ActivationStarted')!.data.at;
  const closed = events.find((e) => e.type === 'ActivationClosed')?.data.at ?? null;
  const servers = requested.data.servers.map((snap) => {
    const mine = events.filter((e) => 'serverId' in e.data && e.data.serverId === snap.serverId);
    const find = (type: string) => mine.find((e) => e.type === type);
    const restoreStarted = find('ServerRestoreStarted');
    const restored = find('ServerRestored');
    const checked = find('ServerChecked');
    const failed = find('ServerStepFailed');
    const health =
      checked && checked.type === 'ServerChecked' ? checked.data.health : failed ? 'failed' : null;
    const availableAfterMinutes =
      checked && health !== 'failed' ? minutesBetween(launch, checked.data.at) : null;
    return {
      hostname: snap.hostname,
      os: { family: snap.osFamily, name: snap.osName, version: snap.osVersion },
      template: snap.template,
      restoreMinutes:
        restoreStarted && restored ? minutesBetween(restoreStarted.data.at, restored.data.at) : null,
      availableAfterMinutes,
      health,
      rtoMinutes: snap.rtoMinutes,
      rtoMet:
        availableAfterMinutes === null
          ? health === 'failed'
            ? false
            : null
          : availableAfterMinutes <= snap.rtoMinutes!,
      rpoMinutes:
        restoreStarted && restoreStarted.type === 'ServerRestoreStarted'
          ? restoreStarted.data.rpoMinutes
          : null,
      detail:
        failed && failed.type === 'ServerStepFailed'
          ? failed.data.reason
          : checked && checked.type === 'ServerChecked'
            ? checked.data.detail
            : null,
    };
  });
  const available = servers.map((x) => x.availableAfterMinutes).filter((m): m is number => m !== null);
  return {
    launchedAt: launch,
    closedAt: closed,
    firstServerAvailableAfterMinutes: Math.min(...available),
    lastServerAvailableAfterMinutes: Math.max(...available),
    servers,
    windows: requested.data.servers.filter((s) => s.osFamily === 'windows').length,
    linux: requested.data.servers.filter((s) => s.osFamily === 'linux').length,
  };
}

describe('DRP test report (e2e)', () => {
  let api: ApiHarness;
  let a: TenantKeys;
  let b: TenantKeys;
  const activationId = randomUUID();
  const events = fiveServerExample(activationId, 'placeholder');
  const url = `/api/v1/activations/${activationId}/report`;

  beforeAll(async () => {
    api = await startApi();
    a = await createTenant(api, {
      customerNumber: '12321',
      domain: 'ocb00.example',
      timeZone: 'Europe/Paris',
    });
    b = await createTenant(api);
    const mine = fiveServerExample(activationId, a.id);
    await recordActivation(api, a.id, activationId, mine);
  });
  afterAll(async () => api?.close());

  it('reports the 5-server example: every number from the events', async () => {
    const res = await api.http.get(url).set(bearer(a.manager)).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const report = res.body;
    const expected = expectedFromEvents(events);
    expect(report).toMatchObject({
      activationId,
      type: 'test',
      customerNumber: '12321',
      domain: 'ocb00.example',
      launchedAt: expected.launchedAt,
      closedAt: expected.closedAt,
      firstServerAvailableAfterMinutes: expected.firstServerAvailableAfterMinutes,
      lastServerAvailableAfterMinutes: expected.lastServerAvailableAfterMinutes,
    });
    // The service description's figures.
    expect(report.launchedAt).toBe(LAUNCH);
    expect(report.firstServerAvailableAfterMinutes).toBe(30);
    expect(report.lastServerAvailableAfterMinutes).toBe(46);
    expect(report.summary).toMatchObject({
      servers: 5,
      windows: 4,
      linux: 1,
      ok: 4,
      warning: 0,
      failed: 1,
      blocked: 0,
    });
    expect(report.summary.windows).toBe(expected.windows);
    expect(report.summary.linux).toBe(expected.linux);
    for (const want of expected.servers) {
      const got = report.servers.find((x: { hostname: string }) => x.hostname === want.hostname);
      expect({ hostname: want.hostname, ...pick(got, Object.keys(want)) }).toEqual(want);
    }
    // Contract fields are all there.
    for (const x of report.servers) {
      expect(Object.keys(x)).toEqual(
        expect.arrayContaining([
          'hostname',
          'os',
          'template',
          'restoreMinutes',
          'availableAfterMinutes',
          'health',
          'rtoMinutes',
          'rtoMet',
          'rpoMinutes',
          'detail',
        ]),
      );
    }
    const failedAction = report.correctiveActions.find((x: { hostname?: string }) => x.hostname === 'file01');
    expect(failedAction.action).toContain('file01');
    expect(failedAction.action).toContain(FIVE_BOOT_FAILURE);
    expect(report.correctiveActions).toHaveLength(1);
  });

  it('is rebuilt identically from the events alone', async () => {
    const viaApi = (await api.http.get(url).set(bearer(a.auditor)).expect(200)).body;
    const recorded = await api.store.readStream(streams.activation(a.id, activationId));
    const state = recorded.reduce<ActivationState>(
      (s, e) => evolveActivation(s, e as unknown as ActivationEvent),
      initialActivationState(),
    );
    const tenant = (await api.store.readStream(streams.tenant(a.id))).reduce<TenantState>(
      (s, e) => tenantDecider.evolve(s, e as never),
      tenantDecider.initialState(),
    );
    if (!state.exists || !tenant) throw new Error('missing streams');
    const rebuilt = JSON.parse(JSON.stringify(buildReport(state, tenant)));
    // The figures are the events' alone; the report adds what the audit log says of those events.
    const { proof, ...figures } = viaApi;
    expect(rebuilt).toEqual(figures);
    expect(proof).toMatchObject({ status: 'not-yet-signed', uncoveredEvents: recorded.length });
    // And asking again later gives the same report.
    expect((await api.http.get(url).set(bearer(a.scheduler)).expect(200)).body).toEqual(viaApi);
  });

  it('renders a printable HTML page with the timeline chart and every server', async () => {
    const res = await api.http.get(`${url}?format=html`).set(bearer(a.auditor)).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    const html = res.text;
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<svg class="timeline"');
    expect(html).toContain('@media print');
    for (const hostname of ['dc01', 'sql01', 'app01', 'file01', 'lnx01']) {
      expect(html).toContain(`data-hostname="${hostname}"`);
      expect(html).toContain(`id="server-${hostname}"`);
    }
    // One RTO line per server, restore/boot/analysis segments, the failed boot marked.
    expect(html.match(/class="rto-target"/g)).toHaveLength(5);
    expect(html.match(/class="segment segment-restore /g)).toHaveLength(5);
    expect(html.match(/class="segment segment-boot /g)).toHaveLength(5);
    expect(html.match(/class="segment segment-analysis /g)).toHaveLength(4);
    expect(html).toContain('segment-boot outcome-failed');
    expect(html).toContain('12321');
    expect(html).toContain('ocb00.example');
    expect(html).toContain('30 min');
    expect(html).toContain('46 min');
    expect(html).toContain(FIVE_BOOT_FAILURE);
    // Dates in the tenant's time zone: 17:01 in Paris.
    expect(html).toContain('17:01');
    // No external assets.
    expect(html).not.toMatch(/<(script|link|img)\b/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
  });

  it('escapes every interpolated string', async () => {
    const id = randomUUID();
    const evil = snapshot('web01', { osName: '<b>Evil</b> OS' });
    await recordActivation(
      api,
      a.id,
      id,
      scenarioEvents({
        activationId: id,
        tenantId: a.id,
        servers: [
          {
            snapshot: evil,
            run: {
              restore: { start: 0, end: 5, rpoMinutes: 10 },
              boot: { start: 5, end: 8 },
              analysis: {
                start: 8,
                end: 9,
                health: 'warning',
                detail: '<script>alert("x")</script> & "quotes"',
              },
            },
          },
        ],
        tail: [{ type: 'ActivationCompleted', data: { status: 'completed', at: minutesAfter(LAUNCH, 9.5) } }],
      }),
    );
    const html = (
      await api.http.get(`/api/v1/activations/${id}/report?format=html`).set(bearer(a.manager)).expect(200)
    ).text;
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>Evil</b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;');
    const json = (await api.http.get(`/api/v1/activations/${id}/report`).set(bearer(a.manager)).expect(200))
      .body;
    expect(json.summary).toMatchObject({ servers: 1, warning: 1 });
    expect(json.correctiveActions[0]).toMatchObject({ hostname: 'web01', code: 'health-warning' });
  });

  it("answers 404 for another tenant's activation and for an unknown one, 400 for a malformed id", async () => {
    const res = await api.http.get(url).set(bearer(b.auditor)).expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    await api.http.get(`${url}?format=html`).set(bearer(b.manager)).expect(404);
    await api.http.get(`/api/v1/activations/${randomUUID()}/report`).set(bearer(a.manager)).expect(404);
    const traversal = await api.http
      .get(`/api/v1/activations/${encodeURIComponent('../../x')}/report`)
      .set(bearer(a.manager))
      .expect(400);
    expect(traversal.body.errors).toEqual([{ field: 'id', message: expect.stringContaining('UUID') }]);
  });

  it('lets every tenant role read it, refuses bad formats and anonymous callers', async () => {
    for (const token of [a.manager, a.scheduler, a.auditor])
      await api.http.get(url).set(bearer(token)).expect(200);
    const bad = await api.http.get(`${url}?format=pdf`).set(bearer(a.manager)).expect(400);
    expect(bad.body.errors).toEqual([{ field: 'format', message: expect.any(String) }]);
    await api.http.get(url).expect(401);
    await api.http.get(url).set(admin).expect(403);
  });
});

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}
