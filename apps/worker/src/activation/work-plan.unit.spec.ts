import type { ActivationCommand } from '@reprise/domain/activation/activation.commands';
import { play, stateOf } from '@reprise/domain/activation/testing/given-when-then';
import { diamond, id, requestCommand, server, t } from '@reprise/domain/activation/testing/fixtures';
import { MAX_PARALLEL_RESTORES, workPlan } from './work-plan';

const steps = (commands: ActivationCommand[], request = requestCommand()) => {
  const state = stateOf(play([], [request, ...commands]));
  return workPlan(state).map((w) => `${w.step}:${w.serverId ? w.serverId.replace('id-', '') : '-'}`);
};

const restoreAll = (host: string, at: number): ActivationCommand[] => [
  {
    type: 'RecordServerRestoreStarted',
    data: {
      serverId: id(host),
      attempt: 1,
      restorePointId: `rp-${host}`,
      restorePointTakenAt: t(-60),
      at: t(at),
    },
  },
  { type: 'RecordDiskRestored', data: { serverId: id(host), attempt: 1, disk: 'c', at: t(at + 1) } },
  { type: 'RecordDiskRestored', data: { serverId: id(host), attempt: 1, disk: 'd', at: t(at + 1) } },
];
const available = (host: string, at: number): ActivationCommand[] => [
  { type: 'RecordServerBootStarted', data: { serverId: id(host), attempt: 1, host: 'h1', at: t(at) } },
  { type: 'RecordServerBooted', data: { serverId: id(host), attempt: 1, at: t(at + 1) } },
  { type: 'RecordServerAnalysisStarted', data: { serverId: id(host), attempt: 1, at: t(at + 1) } },
  {
    type: 'RecordServerChecked',
    data: { serverId: id(host), attempt: 1, health: 'ok', detail: null, at: t(at + 2) },
  },
];

describe('work plan: what the worker must have in progress', () => {
  it('restores every server of the scope at once when a test starts, plus the network', () => {
    expect(steps([]).sort()).toEqual(
      ['network:-', 'restore:app', 'restore:db1', 'restore:db2', 'restore:dc', 'restore:lone'].sort(),
    );
  });

  it('keeps a started restore in the plan until it is recorded (a lost job resumes it)', () => {
    const started: ActivationCommand = {
      type: 'RecordServerRestoreStarted',
      data: { serverId: id('dc'), attempt: 1, restorePointId: 'rp', restorePointTakenAt: t(-60), at: t(1) },
    };
    expect(steps([started])).toContain('restore:dc');
  });

  it('boots a server as soon as its own upstream servers are available, not when a wave is done', () => {
    // dc available; db1 restored (depends on dc) → boot; app restored but db2 is not available → no boot yet.
    const plan = steps([
      ...restoreAll('dc', 0),
      ...available('dc', 5),
      ...restoreAll('db1', 0),
      ...restoreAll('app', 0),
    ]);
    expect(plan).toContain('boot:db1');
    expect(plan).not.toContain('boot:app');
    expect(plan).not.toContain('boot:dc');
  });

  it('resumes a boot or an analysis that started (booting, checking)', () => {
    const booting: ActivationCommand = {
      type: 'RecordServerBootStarted',
      data: { serverId: id('lone'), attempt: 1, host: 'h1', at: t(5) },
    };
    expect(steps([...restoreAll('lone', 0), booting])).toContain('boot:lone');
    const booted: ActivationCommand = {
      type: 'RecordServerBooted',
      data: { serverId: id('lone'), attempt: 1, at: t(6) },
    };
    expect(steps([...restoreAll('lone', 0), booting, booted])).toContain('analyse:lone');
  });

  it('stops everything once the activation is aborted', () => {
    const abort: ActivationCommand = {
      type: 'AbortActivation',
      data: { reason: 'drill over', by: { name: 'A', email: 'a@x.test' }, at: t(1) },
    };
    expect(steps([abort])).toEqual([]);
  });

  it('restores servers with the longest downstream chain first when more are pending than may run at once', () => {
    // A chain root with many leaves, the chain restores first, leaves last.
    const many = Array.from({ length: MAX_PARALLEL_RESTORES + 4 }, (_, i) =>
      server(`leaf-${i}`, { osFamily: 'linux' }),
    );
    const estate = [
      server('root'),
      server('mid', { dependsOn: ['root'] }),
      server('top', { dependsOn: ['mid'] }),
      ...many,
    ];
    const plan = steps([], requestCommand({ estate }));
    const restores = plan.filter((p) => p.startsWith('restore:'));
    expect(restores).toHaveLength(MAX_PARALLEL_RESTORES);
    expect(restores.slice(0, 3)).toEqual(['restore:root', 'restore:mid', 'restore:top']);
  });

  it('uses step keys without ":" (BullMQ job ids), stable for the same attempt', () => {
    const state = stateOf(play([], [requestCommand()]));
    const keys = workPlan(state).map((w) => w.key);
    expect(keys.every((k) => !k.includes(':'))).toBe(true);
    expect(workPlan(state).map((w) => w.key)).toEqual(keys);
  });
});

describe('diamond fixture sanity', () => {
  it('has the DRP servers the plan expects', () => {
    expect(diamond.filter((s) => s.protectionClass === 'drp').map((s) => s.hostname)).toEqual([
      'dc',
      'db1',
      'db2',
      'app',
      'lone',
    ]);
  });
});
