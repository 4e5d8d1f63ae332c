import {
  evolveActivation,
  initialActivationState,
  type ActivationEvent,
  type Activation,
} from '@reprise/domain/activation';
import { buildReport } from '@reprise/domain/report';
import {
  LAUNCH,
  fiveServerExample,
  minutesAfter,
  scenarioEvents,
  snapshot,
} from '@reprise/domain/report/testing/report-scenarios';
import { esc, renderReportHtml, timelineSvg } from './report.html';

const fold = (events: ActivationEvent[]) =>
  events.reduce(evolveActivation, initialActivationState()) as Activation;
const tenant = { customerNumber: '12321', domain: 'ocb00.example' };

describe('report HTML', () => {
  it('escapes HTML special characters', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(esc(null)).toBe('');
    expect(esc(4.5)).toBe('4.5');
  });

  it('draws one row per server with its phases and RTO line', () => {
    const report = buildReport(fold(fiveServerExample('act', 't')), tenant);
    const svg = timelineSvg(report);
    expect(svg.match(/<g class="server-row"/g)).toHaveLength(5);
    expect(svg.match(/class="rto-target"/g)).toHaveLength(5);
    expect(svg.match(/class="available-mark"/g)).toHaveLength(4);
    expect(svg.match(/class="failure-mark"/g)).toHaveLength(1);
    expect(svg).toContain('segment-wait');
    expect(svg).not.toContain('NaN');
  });

  it('draws a row per runbook step below the servers, a failed one marked', () => {
    const report = buildReport(fold(fiveServerExample('act', 't')), tenant);
    const withSteps = {
      ...report,
      steps: [
        {
          name: 'erp-sign-off',
          kind: 'manual',
          status: 'done',
          startedAt: null,
          endedAt: null,
          detail: null,
          timeline: [
            { phase: 'runbook-step' as const, startMinutes: 20, endMinutes: 30, outcome: 'done' as const },
          ],
        },
        {
          name: 'dns',
          kind: 'webhook',
          status: 'failed',
          startedAt: null,
          endedAt: null,
          detail: 'answered 500',
          timeline: [
            { phase: 'runbook-step' as const, startMinutes: 31, endMinutes: 32, outcome: 'failed' as const },
          ],
        },
      ],
    };
    const svg = timelineSvg(withSteps);
    expect(svg.match(/<g class="server-row"/g)).toHaveLength(7);
    expect(svg).toContain('data-hostname="step erp-sign-off"');
    expect(svg.match(/segment-runbook-step/g)).toHaveLength(2);
    expect(svg).toContain('Runbook step');
    expect(svg.match(/class="failure-mark"/g)).toHaveLength(2);
  });

  it('draws a running phase up to the last event and keeps the numbers finite', () => {
    const x = snapshot('run01', { rtoMinutes: null });
    const events = scenarioEvents({
      activationId: 'a',
      tenantId: 't',
      servers: [{ snapshot: x, run: { restore: { start: 0, end: 4, rpoMinutes: 10 }, boot: { start: 4 } } }],
    });
    events.push({ type: 'NetworkSetupStarted', data: { at: minutesAfter(LAUNCH, 7) } });
    const report = buildReport(fold(events), tenant);
    const svg = timelineSvg(report);
    expect(svg).toContain('outcome-running');
    expect(svg).not.toContain('rto-target');
    expect(svg).not.toContain('NaN');
    const html = renderReportHtml(report, { timeZone: 'Not/AZone' });
    expect(html).toContain('in progress');
    expect(html).toContain('No corrective action');
  });

  it('shows dates in the tenant time zone', () => {
    const report = buildReport(fold(fiveServerExample('act', 't')), tenant);
    expect(renderReportHtml(report, { timeZone: 'Europe/Paris' })).toContain('17:01');
    expect(renderReportHtml(report, { timeZone: 'UTC' })).toContain('16:01');
  });

  it('labels every segment: no "waiting for upstream" on a server without upstream; the legend names what the bars show', () => {
    const events = scenarioEvents({
      activationId: 'a',
      tenantId: 't',
      servers: [
        {
          snapshot: snapshot('solo01'),
          run: {
            restore: { start: 4, end: 9, rpoMinutes: 10 },
            boot: { start: 12, end: 15 },
            analysis: { start: 16, end: 18 },
          },
        },
      ],
    });
    const svg = timelineSvg(buildReport(fold(events), tenant));
    const titles = [...svg.matchAll(/<rect class="segment[^>]*><title>([^<]*)<\/title>/g)].map((t) => t[1]);
    expect(titles).toEqual([
      'solo01: Waiting for a restore slot 0 min → 4 min',
      'solo01: Restore 4 min → 9 min',
      'solo01: Queued for its next step 9 min → 12 min',
      'solo01: Boot 12 min → 15 min',
      'solo01: Queued for its next step 15 min → 16 min',
      'solo01: Analysis (health check) 16 min → 18 min',
    ]);
    expect(svg).not.toContain('Waiting for upstream servers');
    expect(svg).toContain('>Waiting for a restore slot</text>');
  });
});
