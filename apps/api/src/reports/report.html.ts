import {
  TIMELINE_PHASES,
  type ActivationReport,
  type ReportServer,
  type TimelinePhase,
} from '@reprise/domain/report';
import type { ActivationProof } from '../audit/audit-log.service';

/**
 * The printable report page (`GET /activations/:id/report?format=html`): server-rendered, no
 * external assets (inline CSS and SVG), print CSS so the browser prints it to PDF as it is. Every
 * interpolated value goes through `esc`.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const esc = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);

export const PHASE_COLOURS: Record<TimelinePhase, string> = {
  'earlier-attempt': '#e8b4b4',
  'restore-queue': '#9fb7d3',
  restore: '#4e79a7',
  wait: '#cfd4da',
  queued: '#efe3b0',
  boot: '#f28e2b',
  analysis: '#59a14f',
  'at-recovery': '#d9ead3',
  'reverse-sync': '#76b7b2',
  'cut-over': '#b07aa1',
  'runbook-step': '#9c755f',
};
const PHASE_LABELS = Object.fromEntries(TIMELINE_PHASES.map((p) => [p.phase, p.label])) as Record<
  TimelinePhase,
  string
>;
const RTO_COLOUR = '#c0392b';
const FAILED_COLOUR = '#d62728';

export interface HtmlOptions {
  /** Tenant time zone for the dates shown (IANA); UTC when unknown. */
  timeZone?: string;
  /** What the tenant's signed audit log says about the events the report is built from. */
  proof?: ActivationProof;
}

/** The red warning at the top when the activation's events do not verify. */
function integrityWarning(proof: ActivationProof | undefined): string {
  if (!proof || proof.status !== 'invalid') return '';
  return `<div class="integrity-alert" role="alert"><strong>Warning: this activation's recorded events do not verify against the signed audit log.</strong> ${esc(proof.problem ?? '')}. The figures below are built from events that were altered after they were recorded: do not rely on them; the auditor's <code>GET /api/v1/audit/verify</code> names what changed.</div>`;
}

/** The proof section: the head covering the events and the inclusion proof of the last one. */
function proofSection(proof: ActivationProof | undefined, fmt: (iso: string | null) => string): string {
  if (!proof) return '';
  const status: Record<ActivationProof['status'], string> = {
    verified: 'every event of this activation matches the signed audit log',
    'partly-signed': `the events match the audit log; the ${proof.uncoveredEvents} newest await the next signed tree head`,
    'not-yet-signed': 'no tree head has been signed for this tenant yet',
    invalid: `the events do NOT verify: ${proof.problem ?? ''}`,
  };
  const head = proof.treeHead;
  return `
<h2 class="proof">6. Audit proof</h2>
<table class="proof">
  <tr><th>Integrity</th><td class="proof-${esc(proof.status)}">${esc(status[proof.status])}</td></tr>
  ${
    head
      ? `<tr><th>Signed tree head</th><td>${esc(head.treeSize)} events, root <code>${esc(head.rootHash)}</code>, signed ${time(head.timestamp, fmt)} with key <code>${esc(head.keyId)}</code></td></tr>
  <tr><th>Signature (Ed25519)</th><td><code class="wrap">${esc(head.signature)}</code></td></tr>`
      : ''
  }
  ${
    proof.lastEvent
      ? `<tr><th>Last event</th><td>seq ${esc(proof.lastEvent.seq)} (${esc(proof.lastEvent.type)}), hashed under ${esc(proof.lastEvent.hashRule)}</td></tr>`
      : ''
  }
  ${
    proof.inclusion
      ? `<tr><th>Inclusion proof (RFC 9162)</th><td>leaf ${esc(proof.inclusion.leafIndex)}, ${esc(proof.inclusion.auditPath.length)} hashes: <strong>${proof.inclusion.verified ? 'verified' : 'does NOT verify'}</strong></td></tr>`
      : ''
  }
</table>`;
}

function dateFormatter(timeZone: string | undefined): (iso: string | null) => string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: timeZone || 'UTC',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    });
  } catch {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' });
  }
  return (iso) => (iso ? format.format(new Date(iso)) : '—');
}

const minutes = (n: number | null | undefined): string =>
  n === null || n === undefined ? '—' : `${Number.isInteger(n) ? n : n.toFixed(1)} min`;
const yesNo = (b: boolean | null): string => (b === null ? '—' : b ? 'yes' : 'no');
const time = (iso: string | null, fmt: (iso: string | null) => string) =>
  iso ? `<time datetime="${esc(iso)}">${esc(fmt(iso))}</time>` : '—';

function healthBadge(x: ReportServer): string {
  const label =
    x.phase === 'blocked' ? 'blocked' : x.phase === 'cancelled' ? 'cancelled' : (x.health ?? x.phase);
  return `<span class="badge badge-${esc(label)}">${esc(label)}</span>`;
}

function titleOf(report: ActivationReport): string {
  if (report.type === 'test')
    return report.kind === 'restore-test' ? 'Restore test report' : 'DRP test report';
  return report.type === 'alert' ? 'DRP alert report' : 'DRP activation report (disaster)';
}

/** Picks a tick step giving at most ~12 ticks over `span` minutes. */
function tickStep(span: number): number {
  for (const step of [1, 2, 5, 10, 15, 20, 30, 60, 120, 240, 480, 720, 1440])
    if (span / step <= 12) return step;
  return Math.ceil(span / 12 / 1440) * 1440;
}

/** One bar per server (restore / wait / boot / analysis segments), its RTO target as a line. */
export function timelineSvg(report: ActivationReport): string {
  // A runbook step is a row of its own below the servers (its bar from start to end).
  const servers = [
    ...report.servers,
    ...(report.steps ?? []).map((st) => ({
      hostname: `step ${st.name}`,
      timeline: st.timeline,
      availableAfterMinutes: null,
      rtoMinutes: null,
    })),
  ];
  const asOfMinutes = (Date.parse(report.asOf) - Date.parse(report.timelineOrigin)) / 60_000;
  const endOf = (end: number | null) => (end === null ? Math.max(asOfMinutes, 0) : end);
  let min = 0;
  let max = 10;
  for (const x of servers) {
    for (const seg of x.timeline) {
      min = Math.min(min, seg.startMinutes);
      max = Math.max(max, endOf(seg.endMinutes));
    }
    if (x.rtoMinutes !== null) max = Math.max(max, x.rtoMinutes);
    if (x.availableAfterMinutes !== null) max = Math.max(max, x.availableAfterMinutes);
  }
  const step = tickStep(max - min);
  min = Math.floor(min / step) * step;
  max = Math.ceil(max / step) * step;

  const labelW = 170;
  const width = 960;
  const plotW = width - labelW - 24;
  const top = 28;
  const rowH = 30;
  const barH = 14;
  const plotH = Math.max(servers.length, 1) * rowH;
  const legendY = top + plotH + 26;
  // The legend names every phase the bars show (and nothing they do not), on as many lines as it needs.
  const shown = TIMELINE_PHASES.filter((p) =>
    servers.some((srv) => srv.timeline.some((seg) => seg.phase === p.phase)),
  );
  const legendItems: Array<{ swatch: (lx: number, ly: number) => string; text: string }> = [
    ...shown.map((p) => ({
      swatch: (lx: number, ly: number) =>
        `<rect x="${lx}" y="${ly - 6}" width="14" height="10" fill="${PHASE_COLOURS[p.phase]}"/>`,
      text: p.label,
    })),
    {
      swatch: (lx, ly) =>
        `<line x1="${lx + 7}" y1="${ly - 8}" x2="${lx + 7}" y2="${ly + 6}" stroke="${RTO_COLOUR}" stroke-width="2" stroke-dasharray="4 2"/>`,
      text: 'RTO target',
    },
    { swatch: (lx, ly) => `<circle cx="${lx + 7}" cy="${ly - 1}" r="4" fill="#222"/>`, text: 'Available' },
    {
      swatch: (lx, ly) =>
        `<rect x="${lx}" y="${ly - 6}" width="14" height="10" fill="#fff" stroke="${FAILED_COLOUR}" stroke-width="2"/>`,
      text: 'Failed step',
    },
  ];
  const legendLayout: Array<{ lx: number; ly: number }> = [];
  let lx = labelW;
  let ly = legendY;
  for (const item of legendItems) {
    const w = 26 + item.text.length * 6;
    if (lx + w > width && lx > labelW) {
      lx = labelW;
      ly += 18;
    }
    legendLayout.push({ lx, ly });
    lx += w;
  }
  const height = ly + 22;
  const x = (m: number) => +(labelW + ((m - min) / (max - min)) * plotW).toFixed(2);

  const parts: string[] = [];
  parts.push(
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="timeline-title">`,
    `<title id="timeline-title">Timeline of the activation: one bar per server, minutes after the launch</title>`,
    `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#e9ecef"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8a9099" stroke-width="2"/></pattern></defs>`,
  );
  // Row stripes first, so the grid stays visible on top of them.
  servers.forEach((_srv, i) => {
    if (i % 2 === 1)
      parts.push(
        `<rect class="stripe" x="0" y="${top + i * rowH}" width="${width}" height="${rowH}" fill="#f5f6f8"/>`,
      );
  });
  // Grid and axis.
  for (let m = min; m <= max + 1e-9; m += step) {
    const gx = x(m);
    parts.push(
      `<line class="grid" x1="${gx}" y1="${top}" x2="${gx}" y2="${top + plotH}" stroke="${m === 0 ? '#555' : '#e3e6ea'}" stroke-width="${m === 0 ? 1.5 : 1}"/>`,
      `<text x="${gx}" y="${top - 8}" font-size="11" text-anchor="middle" fill="#444">${esc(m)}</text>`,
    );
  }
  parts.push(
    `<text x="${labelW - 8}" y="${top - 8}" font-size="11" text-anchor="end" fill="#444">min</text>`,
  );
  servers.forEach((srv, i) => {
    const y = top + i * rowH;
    const barY = y + (rowH - barH) / 2;
    parts.push(`<g class="server-row" data-hostname="${esc(srv.hostname)}">`);
    parts.push(
      `<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" font-size="12" text-anchor="end" fill="#222">${esc(srv.hostname)}</text>`,
    );
    for (const seg of srv.timeline) {
      const end = endOf(seg.endMinutes);
      const sx = x(seg.startMinutes);
      const w = Math.max(x(end) - sx, 1);
      const fill = seg.outcome === 'cancelled' ? 'url(#hatch)' : PHASE_COLOURS[seg.phase];
      const stroke = seg.outcome === 'failed' ? ` stroke="${FAILED_COLOUR}" stroke-width="2"` : '';
      const opacity = seg.outcome === 'running' ? ' fill-opacity="0.55"' : '';
      const label = `${srv.hostname}: ${PHASE_LABELS[seg.phase]} ${minutes(seg.startMinutes)} → ${seg.endMinutes === null ? 'under way' : minutes(seg.endMinutes)}${seg.outcome === 'failed' ? ' (failed)' : seg.outcome === 'cancelled' ? ' (cancelled)' : ''}`;
      parts.push(
        `<rect class="segment segment-${seg.phase} outcome-${seg.outcome}" x="${sx}" y="${barY}" width="${+w.toFixed(2)}" height="${barH}" fill="${fill}"${stroke}${opacity}><title>${esc(label)}</title></rect>`,
      );
      if (seg.outcome === 'failed') {
        const fx = x(end);
        parts.push(
          `<path class="failure-mark" d="M${fx - 5} ${barY - 2} L${fx + 5} ${barY + barH + 2} M${fx + 5} ${barY - 2} L${fx - 5} ${barY + barH + 2}" stroke="${FAILED_COLOUR}" stroke-width="2.5"><title>${esc(`${srv.hostname} failed at ${minutes(end)}`)}</title></path>`,
        );
      }
    }
    if (srv.availableAfterMinutes !== null) {
      const ax = x(srv.availableAfterMinutes);
      parts.push(
        `<circle class="available-mark" cx="${ax}" cy="${y + rowH / 2}" r="4" fill="#222"><title>${esc(`${srv.hostname} available after ${minutes(srv.availableAfterMinutes)}`)}</title></circle>`,
      );
    }
    if (srv.rtoMinutes !== null) {
      const rx = x(srv.rtoMinutes);
      parts.push(
        `<line class="rto-target" x1="${rx}" y1="${y + 2}" x2="${rx}" y2="${y + rowH - 2}" stroke="${RTO_COLOUR}" stroke-width="2" stroke-dasharray="4 2"><title>${esc(`${srv.hostname} RTO target ${minutes(srv.rtoMinutes)}`)}</title></line>`,
      );
    }
    parts.push('</g>');
  });
  // Legend.
  legendItems.forEach((item, i) => {
    const { lx: ix, ly: iy } = legendLayout[i];
    parts.push(
      `<g class="legend">${item.swatch(ix, iy)}<text x="${ix + 18}" y="${iy + 4}" font-size="11" fill="#333">${esc(item.text)}</text></g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const STYLE = `
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; color: #1d232a; margin: 0 auto; max-width: 1000px; padding: 24px; font-size: 13px; line-height: 1.45; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #4e79a7; break-after: avoid; page-break-after: avoid; }
  h3 { font-size: 14px; margin: 0 0 6px; }
  .subtitle { color: #555; margin: 0 0 16px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 5px 8px; border: 1px solid #d5d9de; vertical-align: top; }
  th { background: #f1f3f5; font-weight: 600; width: 28%; }
  table.summary th, table.summary td { text-align: center; width: auto; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .server { border: 1px solid #d5d9de; border-radius: 4px; padding: 10px 12px; margin: 10px 0; break-inside: avoid; page-break-inside: avoid; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11px; font-weight: 600; color: #fff; background: #6c757d; }
  .badge-ok { background: #2e7d32; } .badge-warning { background: #e69500; } .badge-failed { background: #c62828; }
  .badge-blocked { background: #6d4c41; } .badge-cancelled { background: #6c757d; }
  .chart { break-inside: avoid; page-break-inside: avoid; }
  ol.actions li { margin: 4px 0; }
  .muted { color: #666; }
  .integrity-alert { border: 2px solid #c62828; background: #fdecea; color: #b71c1c; padding: 10px 14px; margin: 0 0 16px; border-radius: 4px; }
  td.proof-invalid { color: #b71c1c; font-weight: 600; }
  td.proof-verified { color: #2e7d32; }
  code.wrap { word-break: break-all; }
  footer { margin-top: 28px; color: #666; font-size: 11px; border-top: 1px solid #d5d9de; padding-top: 6px; }
  @media print {
    @page { size: A4; margin: 14mm; }
    body { padding: 0; max-width: none; font-size: 11px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    h2.servers { break-before: page; page-break-before: always; }
    a { color: inherit; text-decoration: none; }
  }
`;

/** The failback of a disaster: per server what was sent back, its downtime and its data loss; totals. */
function failbackSection(report: ActivationReport, fmt: (iso: string | null) => string): string {
  const fb = report.failback;
  if (!fb) return '';
  const rows = fb.servers
    .map(
      (x) =>
        `<tr><td>${esc(x.hostname)}</td><td>${esc(x.phase)}</td><td class="num">${esc(x.dataReturnedGiB)}</td><td class="num">${esc(minutes(x.downtimeMinutes))}</td><td class="num">${esc(x.dataLossGiB ?? '—')}</td><td>${esc(x.failure ? `${x.failure.step}: ${x.failure.reason}` : x.heldBy ? `held: upstream ${x.heldBy} did not go back` : (x.detail ?? ''))}</td></tr>`,
    )
    .join('');
  const left = fb.left.length
    ? `<p><strong>Left at the recovery site:</strong> ${esc(fb.left.map((l) => `${l.hostname} (${l.reason})`).join('; '))}</p>`
    : '';
  return `
<h2 class="failback">Failback to the original site</h2>
<p>Requested by ${esc(fb.requestedBy.name)} on ${time(fb.requestedAt, fmt)}, confirmed by ${esc(fb.confirmedBy?.name ?? '—')}; users reconnected to the original site: ${time(fb.reconnectedAt, fmt)}. Data sent back: <strong>${esc(fb.dataReturnedGiB)} GiB</strong>; total cut-over downtime: <strong>${esc(minutes(fb.downtimeMinutes))}</strong>; data loss: <strong>${esc(fb.dataLossGiB)} GiB</strong>.</p>
${left}
<table class="failback">
  <tr><th>Server</th><th>Phase</th><th>Data sent back (GiB)</th><th>Cut-over downtime</th><th>Data loss (GiB)</th><th>Detail</th></tr>
  ${rows}
</table>`;
}

export function renderReportHtml(report: ActivationReport, options: HtmlOptions = {}): string {
  const fmt = dateFormatter(options.timeZone);
  const s = report.summary;
  const title = titleOf(report);
  const serverSections = report.servers
    .map(
      (x) => `
    <section class="server" id="server-${esc(x.hostname)}">
      <h3>${esc(x.hostname)} ${healthBadge(x)}</h3>
      <table>
        <tr><th>Operating system</th><td>${esc(`${x.os.name} ${x.os.version}`)} (${esc(x.os.family)})</td></tr>
        <tr><th>Template</th><td>${esc(x.template.vcpu)} vCPU, ${esc(x.template.ramGiB)} GiB RAM</td></tr>
        <tr><th>Recovery method</th><td>${esc(x.recoveryMethod)}${x.dependsOn.length ? ` — starts after ${esc(x.dependsOn.join(', '))}` : ''}</td></tr>
        <tr><th>Restore time</th><td>${esc(minutes(x.restoreMinutes))}</td></tr>
        <tr><th>Boot / analysis</th><td>${esc(minutes(x.bootMinutes))} / ${esc(minutes(x.analysisMinutes))}</td></tr>
        <tr><th>Available after</th><td>${esc(minutes(x.availableAfterMinutes))}</td></tr>
        <tr><th>RTO target / met</th><td>${esc(minutes(x.rtoMinutes))} / ${esc(yesNo(x.rtoMet))}</td></tr>
        <tr><th>RPO achieved (target)</th><td>${esc(minutes(x.rpoMinutes))} (${esc(minutes(x.rpoTargetMinutes))})</td></tr>
        <tr><th>Health</th><td>${healthBadge(x)}</td></tr>
        <tr><th>Detail</th><td>${esc(x.detail ?? '—')}</td></tr>
      </table>
    </section>`,
    )
    .join('');
  const actions = report.correctiveActions.length
    ? `<ol class="actions">${report.correctiveActions
        .map((a) => `<li>${a.hostname ? `<strong>${esc(a.hostname)}</strong>: ` : ''}${esc(a.action)}</li>`)
        .join('')}</ol>`
    : '<p class="muted">No corrective action: every server came back as expected.</p>';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`${title} — ${report.customerNumber} — ${fmt(report.launchedAt ?? report.requestedAt)}`)}</title>
<style>${STYLE}</style>
</head>
<body>
${integrityWarning(options.proof)}
<header>
  <h1>${esc(title)}</h1>
  <p class="subtitle">Customer ${esc(report.customerNumber)} · ${esc(report.domain)} · activation <code>${esc(report.activationId)}</code> · status <strong>${esc(report.status)}</strong>${report.final ? '' : ' (in progress: figures so far)'}</p>
</header>

<h2>1. General information</h2>
<table class="general">
  <tr><th>Launch date</th><td>${time(report.launchedAt, fmt)}</td><th>Customer number</th><td>${esc(report.customerNumber)}</td></tr>
  <tr><th>Closing date</th><td>${time(report.closedAt, fmt)}</td><th>Domain</th><td>${esc(report.domain)}</td></tr>
  <tr><th>First server available after</th><td>${esc(minutes(report.firstServerAvailableAfterMinutes))}</td><th>Requested by</th><td>${esc(report.requestedBy.name)} &lt;${esc(report.requestedBy.email)}&gt;</td></tr>
  <tr><th>Last server available after</th><td>${esc(minutes(report.lastServerAvailableAfterMinutes))}</td><th>Reason</th><td>${esc(report.reason ?? '—')}</td></tr>
</table>

<h2>2. Summary</h2>
<table class="summary">
  <tr><th>Servers in scope</th><th>Windows</th><th>Linux</th><th>ok</th><th>warning</th><th>failed</th><th>blocked</th></tr>
  <tr><td class="num">${esc(s.servers)}</td><td class="num">${esc(s.windows)}</td><td class="num">${esc(s.linux)}</td><td class="num">${esc(s.ok)}</td><td class="num">${esc(s.warning)}</td><td class="num">${esc(s.failed)}</td><td class="num">${esc(s.blocked)}</td></tr>
</table>
<p class="muted">Network and user reconnection: ${esc(report.network.required ? report.network.phase : 'not part of this activation')}${report.network.reason ? ` (${esc(report.network.reason)})` : ''}.</p>

<h2>3. Timeline</h2>
<div class="chart">
${timelineSvg(report)}
<p class="muted">Minutes after the launch (${time(report.timelineOrigin, fmt)}). Dashed red line: the server's RTO target; dot: available.</p>
</div>
${failbackSection(report, fmt)}

<h2 class="servers">4. Servers</h2>
${serverSections}

<h2 class="actions">5. Corrective actions</h2>
${actions}
${proofSection(options.proof, fmt)}

<footer>Generated from the activation's recorded events, as of ${time(report.asOf, fmt)}. Rebuilding it from the same events gives the same report.</footer>
</body>
</html>
`;
}
