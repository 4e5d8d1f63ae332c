import { resolveScope } from './scope';
import { diamond, server } from './testing/fixtures';

describe('resolveScope', () => {
  it('full: every drp server, dependsOn restricted to the scope, dependencies outside listed', () => {
    const estate = [...diamond, server('web', { dependsOn: ['app', 'old', 'gone'] })];
    const { scope, servers } = resolveScope(estate, 'full');
    expect(servers.map((s) => s.hostname)).toEqual(['dc', 'db1', 'db2', 'app', 'lone', 'web']);
    expect(servers.find((s) => s.hostname === 'web')!.dependsOn).toEqual(['app']);
    expect(scope).toEqual({
      mode: 'full',
      requested: [],
      added: [],
      excluded: [
        { hostname: 'old', requiredBy: ['web'], reason: 'not-eligible' },
        { hostname: 'gone', requiredBy: ['web'], reason: 'unknown-server' },
      ],
    });
  });

  it('partial: named servers plus all their upstream dependencies, transitively (case-insensitive names)', () => {
    const { scope, servers } = resolveScope(diamond, { servers: ['DB1', 'lone'] });
    expect(servers.map((s) => s.hostname)).toEqual(['dc', 'db1', 'lone']);
    expect(scope).toEqual({
      mode: 'partial',
      requested: ['db1', 'lone'],
      added: [{ hostname: 'dc', requiredBy: ['db1'] }],
      excluded: [],
    });
  });

  it('partial: a dependency of another class does not come, and the scope says why', () => {
    const estate = [...diamond, server('web', { dependsOn: ['app', 'old'] })];
    const { scope, servers } = resolveScope(estate, { servers: ['web'] });
    expect(servers.map((s) => s.hostname)).toEqual(['dc', 'db1', 'db2', 'app', 'web']);
    expect(scope.added.map((a) => a.hostname)).toEqual(['dc', 'db1', 'db2', 'app']);
    expect(scope.excluded).toEqual([{ hostname: 'old', requiredBy: ['web'], reason: 'not-eligible' }]);
  });

  it('refuses unknown names and servers of another class, by name (422)', () => {
    expect(() => resolveScope(diamond, { servers: ['app', 'ghost', 'bk', 'old'] })).toThrow(
      expect.objectContaining({
        kind: 'rule',
        code: 'scope-refused',
        details: expect.objectContaining({ servers: ['ghost', 'bk', 'old'] }),
      }),
    );
  });

  it('refuses an empty scope', () => {
    expect(() => resolveScope(diamond, { servers: [] })).toThrow(
      expect.objectContaining({ kind: 'validation', code: 'empty-scope' }),
    );
    expect(() => resolveScope([server('x', { protectionClass: 'backup-only' })], 'full')).toThrow(
      expect.objectContaining({ kind: 'rule', code: 'empty-scope' }),
    );
  });

  it('restore tests work on backup-with-tests servers (full), may name drp ones too, and pull nothing', () => {
    const estate = [
      ...diamond,
      server('bk2', { protectionClass: 'backup-with-tests', dependsOn: ['bk', 'dc'] }),
    ];
    expect(
      resolveScope(estate, 'full', 'restore-test').servers.map((s) => [s.hostname, s.dependsOn]),
    ).toEqual([
      ['bk', []],
      ['bk2', ['bk']],
    ]);
    const partial = resolveScope(estate, { servers: ['bk2'] }, 'restore-test');
    expect(partial.servers.map((s) => s.hostname)).toEqual(['bk2']);
    expect(partial.scope.added).toEqual([]);
    const drp = resolveScope(estate, { servers: ['app', 'bk'] }, 'restore-test');
    expect(drp.servers.map((s) => [s.hostname, s.dependsOn])).toEqual([
      ['app', []],
      ['bk', []],
    ]);
    expect(drp.scope.added).toEqual([]);
    expect(() => resolveScope(estate, { servers: ['old', 'dc'] }, 'restore-test')).toThrow(
      expect.objectContaining({
        code: 'scope-refused',
        details: expect.objectContaining({ notEligible: ['old'] }),
      }),
    );
  });
});
