import { bootWaves } from '@reprise/domain/estate/graph';
import { edgeCrossings, layoutGraph, type GraphNodeInput } from './layout';

const n = (id: string, ...dependsOn: string[]): GraphNodeInput => ({ id, dependsOn });

/** A small estate: two DCs, databases, app tiers, web tiers. */
const estate: GraphNodeInput[] = [
  n('dc-01'),
  n('dc-02'),
  n('sql-01', 'dc-01'),
  n('pg-01', 'dc-02'),
  n('erp-app', 'sql-01', 'dc-01'),
  n('crm-app', 'pg-01'),
  n('erp-web', 'erp-app'),
  n('crm-web', 'crm-app'),
  n('proxy', 'erp-web', 'crm-web'),
];

/** Deterministic pseudo-random DAG: node i depends on a few earlier nodes. */
function randomDag(size: number, seed: number): GraphNodeInput[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: size }, (_, i) => {
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(next() * 3);
    for (let k = 0; k < count; k++) deps.add(`s${Math.floor(next() * i)}`);
    return n(`s${i}`, ...deps);
  });
}

describe('dependency graph layout', () => {
  it('puts each server in the column of its dependency level, upstream on the left', () => {
    const layout = layoutGraph(estate);
    const level = Object.fromEntries(layout.nodes.map((p) => [p.id, p.level]));
    expect(level).toMatchObject({ 'dc-01': 0, 'dc-02': 0, 'sql-01': 1, 'pg-01': 1, 'erp-app': 2, proxy: 4 });
    for (const e of layout.edges) {
      const from = layout.nodes.find((p) => p.id === e.from)!;
      const to = layout.nodes.find((p) => p.id === e.to)!;
      expect(from.level).toBeLessThan(to.level);
      expect(from.x).toBeLessThan(to.x);
    }
  });

  it('uses the levels the plan computed when given, and they match the domain boot waves', () => {
    const graph = new Map(estate.map((x) => [x.id, [...x.dependsOn]]));
    const waves = bootWaves(graph);
    const layout = layoutGraph(estate, { levels: waves });
    expect(layout.levels.map((l) => [...l].sort())).toEqual(waves);
  });

  it('flags the critical path nodes and the edges between consecutive ones only', () => {
    const criticalPath = ['dc-01', 'sql-01', 'erp-app', 'erp-web', 'proxy'];
    const layout = layoutGraph(estate, { criticalPath });
    expect(
      layout.nodes
        .filter((p) => p.critical)
        .map((p) => p.id)
        .sort(),
    ).toEqual([...criticalPath].sort());
    expect(layout.edges.filter((e) => e.critical).map((e) => `${e.from}>${e.to}`)).toEqual([
      'dc-01>sql-01',
      'erp-app>erp-web',
      'erp-web>proxy',
      'sql-01>erp-app',
    ]);
    // dc-01 → erp-app joins two critical nodes but is not a step of the path.
    expect(layout.edges.find((e) => e.from === 'dc-01' && e.to === 'erp-app')!.critical).toBe(false);
    // Critical edges are drawn last (on top).
    expect(layout.edges.slice(-4).every((e) => e.critical)).toBe(true);
  });

  it("gives a server's whole upstream and downstream", () => {
    const layout = layoutGraph(estate);
    expect([...layout.upstreamOf('erp-web')].sort()).toEqual(['dc-01', 'erp-app', 'sql-01']);
    expect([...layout.downstreamOf('dc-02')].sort()).toEqual(['crm-app', 'crm-web', 'pg-01', 'proxy']);
    expect(layout.upstreamOf('dc-01').size).toBe(0);
  });

  it('orders each column to avoid crossings (two independent chains do not cross)', () => {
    const layout = layoutGraph(estate);
    expect(edgeCrossings(layout)).toBe(0);
  });

  it('never has more crossings than alphabetical order, on random graphs', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const dag = randomDag(40, seed);
      const ordered = edgeCrossings(layoutGraph(dag));
      const alphabetical = edgeCrossings(layoutGraph(dag, { sweeps: 0 }));
      expect(ordered).toBeLessThanOrEqual(alphabetical);
    }
  });

  it('places nodes without overlap, inside the drawing', () => {
    const layout = layoutGraph(randomDag(60, 3), {
      nodeWidth: 100,
      nodeHeight: 30,
      rowGap: 10,
      columnGap: 50,
    });
    const seen = new Set<string>();
    for (const p of layout.nodes) {
      const key = `${p.x},${p.y}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      expect(p.x + 100).toBeLessThanOrEqual(layout.width);
      expect(p.y + 30).toBeLessThanOrEqual(layout.height + 0.001);
    }
    expect(layout.nodes).toHaveLength(60);
  });

  it('draws servers on a cycle in a last column and names them, instead of losing them', () => {
    const layout = layoutGraph([n('a', 'c'), n('b', 'a'), n('c', 'b'), n('d')]);
    expect(layout.cyclic).toEqual(['a', 'b', 'c']);
    expect(layout.nodes).toHaveLength(4);
    expect([...layout.levels[layout.levels.length - 1]].sort()).toEqual(['a', 'b', 'c']);
  });

  it('ignores dependencies outside the graph (e.g. a partial scope)', () => {
    const layout = layoutGraph([n('app', 'db', 'not-in-scope'), n('db')]);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['db>app']);
  });
});
