import { useMemo, useState } from 'react';
import type { ServerPhase } from '../api/types';
import { PHASE_WORDS } from '../words';
import { layoutGraph, type GraphNodeInput } from './layout';

const NODE_W = 168;
const NODE_H = 44;
const PAD = 12;

export interface DependencyGraphProps {
  nodes: readonly GraphNodeInput[];
  levels?: string[][];
  criticalPath?: readonly string[];
  /** In the live view: each server's phase (colour AND words on the node). */
  phaseOf?: (id: string) => ServerPhase | undefined;
  /** Second line of a node when there is no phase (e.g. predicted availability). */
  captionOf?: (id: string) => string | undefined;
  label: string;
}

/**
 * The dependency graph, left to right in boot order: one column per dependency level, the critical
 * path drawn thick, and on hover or keyboard focus a server's upstream (what it waits for) and
 * downstream (what waits for it) highlighted. Each node is focusable and says all of it in words.
 */
export function DependencyGraph({
  nodes,
  levels,
  criticalPath,
  phaseOf,
  captionOf,
  label,
}: DependencyGraphProps) {
  const layout = useMemo(
    () => layoutGraph(nodes, { levels, criticalPath, nodeWidth: NODE_W, nodeHeight: NODE_H }),
    [nodes, levels, criticalPath],
  );
  const [active, setActive] = useState<string | null>(null);
  const up = useMemo(() => (active ? layout.upstreamOf(active) : new Set<string>()), [active, layout]);
  const down = useMemo(() => (active ? layout.downstreamOf(active) : new Set<string>()), [active, layout]);
  const dependsOn = useMemo(() => new Map(nodes.map((n) => [n.id, n.dependsOn])), [nodes]);
  const roleOf = (id: string) =>
    !active
      ? ''
      : id === active
        ? 'is-active'
        : up.has(id)
          ? 'is-upstream'
          : down.has(id)
            ? 'is-downstream'
            : 'is-dimmed';
  const edgeRole = (from: string, to: string) => {
    if (!active) return '';
    if ((to === active || up.has(to)) && (from === active || up.has(from))) return 'is-upstream';
    if ((from === active || down.has(from)) && (to === active || down.has(to))) return 'is-downstream';
    return 'is-dimmed';
  };
  const width = layout.width + PAD * 2;
  const height = layout.height + PAD * 2 + 22;
  const activeSummary = active
    ? `${active}: waits for ${up.size} server${up.size === 1 ? '' : 's'} upstream${
        up.size ? ` (${[...up].join(', ')})` : ''
      }; ${down.size} server${down.size === 1 ? ' downstream waits' : 's downstream wait'} for it${down.size ? ` (${[...down].join(', ')})` : ''}.`
    : 'Hover or focus a server to see what it waits for and what waits for it.';
  return (
    <figure className="graph" aria-label={label}>
      <div className="graph-scroll">
        <svg
          viewBox={`0 0 ${width} ${height}`}
          width={width}
          height={height}
          role="group"
          aria-label={`${label}: ${layout.levels.length} dependency levels`}
        >
          <g transform={`translate(${PAD},${PAD + 22})`}>
            {layout.levels.map((_, l) => (
              <text key={l} className="level-label" x={l * (NODE_W + 72)} y={-8}>
                Level {l + 1}
              </text>
            ))}
            <g className="edges" aria-hidden="true">
              {layout.edges.map((e) => (
                <path
                  key={`${e.from}→${e.to}`}
                  d={e.path}
                  className={`edge ${e.critical ? 'critical' : ''} ${edgeRole(e.from, e.to)}`}
                  markerEnd="url(#arrow)"
                />
              ))}
            </g>
            {layout.nodes.map((n) => {
              const phase = phaseOf?.(n.id);
              const caption = phase ? PHASE_WORDS[phase].label : captionOf?.(n.id);
              const deps = dependsOn.get(n.id) ?? [];
              const words = [
                n.id,
                `level ${n.level + 1}`,
                phase ? `phase: ${PHASE_WORDS[phase].label}` : caption,
                n.critical ? 'on the critical path' : null,
                deps.length ? `depends on ${deps.join(', ')}` : 'no dependency',
              ]
                .filter(Boolean)
                .join(', ');
              return (
                <g
                  key={n.id}
                  className={`node ${n.critical ? 'critical' : ''} ${phase ? `phase-${phase}` : ''} ${roleOf(n.id)}`}
                  transform={`translate(${n.x},${n.y})`}
                  tabIndex={0}
                  role="img"
                  aria-label={words}
                  data-server={n.id}
                  data-phase={phase}
                  onMouseEnter={() => setActive(n.id)}
                  onMouseLeave={() => setActive(null)}
                  onFocus={() => setActive(n.id)}
                  onBlur={() => setActive(null)}
                >
                  <rect width={NODE_W} height={NODE_H} rx={6} />
                  <text x={10} y={caption ? 18 : 27} className="node-title">
                    {phase ? `${PHASE_WORDS[phase].icon} ` : ''}
                    {n.id}
                  </text>
                  {caption && (
                    <text x={10} y={35} className="node-caption">
                      {caption}
                    </text>
                  )}
                </g>
              );
            })}
          </g>
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="6"
              markerHeight="6"
              orient="auto-start-reverse"
            >
              <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
            </marker>
          </defs>
        </svg>
      </div>
      <figcaption>
        <span className="legend">
          <span className="swatch critical" aria-hidden="true" /> critical path
          <span className="swatch upstream" aria-hidden="true" /> upstream (waited for)
          <span className="swatch downstream" aria-hidden="true" /> downstream (waiting)
        </span>
        <span className="graph-summary" aria-live="polite" data-testid="graph-summary">
          {activeSummary}
        </span>
        {layout.cyclic.length > 0 && (
          <span className="error">
            {' '}
            Servers on a dependency cycle (last column): {layout.cyclic.join(', ')}.
          </span>
        )}
      </figcaption>
    </figure>
  );
}
