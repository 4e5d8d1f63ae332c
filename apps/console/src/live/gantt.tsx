import { TIMELINE_PHASES } from '@reprise/domain/report/report.types';
import { PHASE_WORDS } from '../words';
import { formatMinutes } from '../components/ui';
import { rtoTargets, type LiveServerRow } from './fold';

const ROW_H = 22;
const LABEL_W = 220;
const LABEL_ROWS = 3;
const AXIS_H = 30 + LABEL_ROWS * 13;
const SEGMENT_WORDS = Object.fromEntries(TIMELINE_PHASES.map((p) => [p.phase, p.label.toLowerCase()]));

/** A readable tick step (minutes) for an axis of `span` minutes. */
function tickStep(span: number): number {
  for (const step of [5, 10, 15, 30, 60, 120, 240, 480, 960]) if (span / step <= 10) return step;
  return 1440;
}

export interface GanttProps {
  rows: readonly LiveServerRow[];
  nowMinutes: number;
  projectedEndMinutes: number | null;
  running: boolean;
}

/**
 * The activation's timeline: one row per server with the report's segments (restore queue, restore,
 * waits, boot, analysis, earlier failed attempts; minutes after launch), growing as events arrive; a vertical line per RTO target, the last
 * event ("now") and the projected end of the last server. Failed segments are red and marked ✕.
 */
export function Gantt({ rows, nowMinutes, projectedEndMinutes, running }: GanttProps) {
  const targets = rtoTargets(rows);
  const ends = rows.flatMap((r) => r.segments.map((s) => s.endMinutes ?? nowMinutes));
  const span =
    Math.max(30, nowMinutes, projectedEndMinutes ?? 0, ...ends, ...targets.map((t) => t.minutes)) * 1.04;
  const width = 1000;
  const plot = width - LABEL_W - 16;
  const x = (m: number) => LABEL_W + (Math.max(0, m) / span) * plot;
  const height = AXIS_H + rows.length * ROW_H + 8;
  const step = tickStep(span);
  const ticks = Array.from({ length: Math.floor(span / step) + 1 }, (_, i) => i * step);
  const summary = `Timeline of ${rows.length} servers over ${formatMinutes(nowMinutes)}${
    projectedEndMinutes !== null ? `; last server projected at ${formatMinutes(projectedEndMinutes)}` : ''
  }${targets.length ? `; RTO targets ${targets.map((t) => formatMinutes(t.minutes)).join(', ')}` : ''}.`;
  return (
    <figure className="gantt">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="xMinYMin meet"
      >
        {ticks.map((t) => (
          <g key={t} className="tick">
            <line x1={x(t)} x2={x(t)} y1={18} y2={height} />
            <text x={x(t)} y={14}>
              {t >= 60 ? `${t / 60} h` : `${t}′`}
            </text>
          </g>
        ))}
        {rows.map((r, i) => {
          const y = AXIS_H + i * ROW_H;
          const phase = r.server.phase;
          return (
            <g key={r.server.serverId} className={`gantt-row phase-${phase}`} data-server={r.server.hostname}>
              <text x={4} y={y + ROW_H / 2 + 4} className="row-label">
                {r.server.hostname}
                <tspan className="row-phase">
                  {' '}
                  {PHASE_WORDS[phase].icon} {PHASE_WORDS[phase].label}
                </tspan>
              </text>
              {r.segments.map((s, j) => {
                const end = s.endMinutes ?? nowMinutes;
                return (
                  <rect
                    key={j}
                    className={`seg seg-${s.phase} out-${s.outcome}`}
                    x={x(s.startMinutes)}
                    y={y + 4}
                    width={Math.max(1.5, x(end) - x(s.startMinutes))}
                    height={ROW_H - 8}
                  >
                    <title>
                      {`${r.server.hostname}: ${SEGMENT_WORDS[s.phase]} ${formatMinutes(s.startMinutes)} → ${
                        s.endMinutes === null ? 'now' : formatMinutes(s.endMinutes)
                      } (${s.outcome})`}
                    </title>
                  </rect>
                );
              })}
              {r.segments.some((s) => s.outcome === 'failed') && (
                <text
                  className="fail-mark"
                  x={x(r.segments[r.segments.length - 1].endMinutes ?? nowMinutes) + 4}
                  y={y + ROW_H / 2 + 4}
                >
                  ✕
                </text>
              )}
              {r.server.rtoMinutes !== null && (
                <line
                  className="rto-tick"
                  x1={x(r.server.rtoMinutes)}
                  x2={x(r.server.rtoMinutes)}
                  y1={y + 2}
                  y2={y + ROW_H - 2}
                />
              )}
            </g>
          );
        })}
        {targets.map((t, i) => (
          <g key={t.minutes} className="rto-line">
            {/* Labels take turns on three rows above the bars so close targets stay readable. */}
            <line x1={x(t.minutes)} x2={x(t.minutes)} y1={30 + (i % LABEL_ROWS) * 13} y2={height} />
            <text
              x={x(t.minutes) + (x(t.minutes) > width - 140 ? -3 : 3)}
              y={38 + (i % LABEL_ROWS) * 13}
              textAnchor={x(t.minutes) > width - 140 ? 'end' : 'start'}
            >
              RTO {formatMinutes(t.minutes)} ×{t.servers}
            </text>
          </g>
        ))}
        {running && (
          <g className="now-line">
            <line x1={x(nowMinutes)} x2={x(nowMinutes)} y1={AXIS_H - 4} y2={height} />
          </g>
        )}
        {projectedEndMinutes !== null && (
          <g className="projected-line">
            <line x1={x(projectedEndMinutes)} x2={x(projectedEndMinutes)} y1={AXIS_H - 4} y2={height} />
            <text x={x(projectedEndMinutes) - 3} y={height - 4} textAnchor="end">
              projected end {formatMinutes(projectedEndMinutes)}
            </text>
          </g>
        )}
      </svg>
      <figcaption className="legend">
        {/* The legend names the phases the bars show, as the printable report does. */}
        {TIMELINE_PHASES.filter((p) => rows.some((r) => r.segments.some((seg) => seg.phase === p.phase))).map(
          (p) => (
            <span key={p.phase}>
              <span className={`swatch seg-${p.phase}`} aria-hidden="true" /> {p.label}
            </span>
          ),
        )}
        <span>
          <span className="swatch out-failed" aria-hidden="true" /> failed ✕
        </span>
        <span>
          <span className="swatch rto" aria-hidden="true" /> RTO target
        </span>
        <span>
          <span className="swatch projected" aria-hidden="true" /> projected end
        </span>
      </figcaption>
    </figure>
  );
}
