import { bootWaves, cyclicComponents, findCycle, schedule, topologicalOrder } from './graph';
import { hostnameProblem } from './hostname';

const g = (o: Record<string, string[]>) => new Map(Object.entries(o));

describe('dependency graph', () => {
  it('names a cycle in dependency order, from the start node', () => {
    expect(findCycle(g({ 'web-1': ['app-1'], 'app-1': ['db-1'], 'db-1': ['web-1'] }), ['web-1'])).toEqual([
      'web-1',
      'app-1',
      'db-1',
      'web-1',
    ]);
    expect(findCycle(g({ a: ['b'], b: [] }))).toBeNull();
    const components = cyclicComponents(g({ a: ['b'], b: ['a'], c: ['c'], d: [] }));
    expect(components).toHaveLength(2);
    expect(components).toEqual(expect.arrayContaining([['a', 'b'], ['c']]));
  });
  it('boot waves and topological order', () => {
    const graph = g({ web: ['app'], app: ['db', 'dns'], db: ['dns'], dns: [], solo: [] });
    expect(bootWaves(graph)).toEqual([['dns', 'solo'], ['db'], ['app'], ['web']]);
    expect(topologicalOrder(g({ a: ['b'], b: ['a'], c: [] }))).toEqual({ order: ['c'], blocked: ['a', 'b'] });
  });
  it('schedules by the graph and traces the critical path', () => {
    const graph = g({ web: ['app'], app: ['db'], db: [], big: [] });
    const t: Record<string, { ready: number; start: number }> = {
      web: { ready: 1, start: 5 },
      app: { ready: 1, start: 5 },
      db: { ready: 10, start: 5 },
      big: { ready: 19, start: 5 },
    };
    const s = schedule(graph, (n) => t[n]);
    expect(s.availableAt.get('web')).toBe(25);
    expect(s.makespan).toBe(25);
    expect(s.criticalPath).toEqual(['db', 'app', 'web']);
  });
  it('handles a 20,000-node chain without recursion limits (speed is measured by npm run bench -- estate)', () => {
    const graph = new Map<string, string[]>();
    for (let i = 0; i < 20000; i++) graph.set(`n${i}`, i > 0 ? [`n${i - 1}`] : []);
    expect(findCycle(graph)).toBeNull();
    expect(bootWaves(graph)).toHaveLength(20000);
  });
});

describe('hostnames', () => {
  it('applies RFC 1123', () => {
    expect(hostnameProblem('web-1.prod.acme')).toBeNull();
    expect(hostnameProblem('-web')).not.toBeNull();
    expect(hostnameProblem('a'.repeat(254))).not.toBeNull();
    expect(hostnameProblem('web_1')).not.toBeNull();
  });
});
