import {
  bootStarted,
  booted,
  restoreAll,
  runningTest,
  server,
  t,
} from '@reprise/domain/activation/testing/fixtures';
import { play } from '@reprise/domain/activation/testing/given-when-then';
import { StepHarness } from '../testing/step-harness';
import { AnalyseHandler } from './analyse.handler';

const bootedHarness = () =>
  new StepHarness(
    play(runningTest({ estate: [server('db')] }), [
      ...restoreAll('db', t(0), t(5)),
      bootStarted('db', t(5)),
      booted('db', t(8)),
    ]),
    t(8),
  ).knowServers();

describe('analyse step handler (in-memory recovery cloud)', () => {
  it('records the start and the health the cloud found, with its detail', async () => {
    const h = bootedHarness();
    await h.placeVm('id-db');
    h.cloud.healthOf('id-db', 'warning', 'service MSSQLSERVER stopped');
    const step = h.due('analyse', 'db');
    await h.run(new AnalyseHandler(h.steps), step);
    expect(h.facts()).toEqual(['RecordServerAnalysisStarted', 'RecordServerChecked']);
    expect(h.state.servers[0]).toMatchObject({ phase: 'warning', detail: 'service MSSQLSERVER stopped' });
    expect(h.cloud.calls.at(-1)).toEqual({ kind: 'analyse', idempotencyKey: `${step.key}:analyse` });
  });

  it('resumed: the same analysis (same key), its start recorded once', async () => {
    const h = bootedHarness();
    await h.placeVm('id-db');
    const step = h.due('analyse', 'db');
    await h.record({
      type: 'RecordServerAnalysisStarted',
      data: { serverId: 'id-db', attempt: 1, at: t(9) },
    });
    await h.run(new AnalyseHandler(h.steps), h.due('analyse', 'db'));
    expect(h.facts()).toEqual(['RecordServerAnalysisStarted', 'RecordServerChecked']);
    expect(h.cloud.calls.filter((c) => c.kind === 'analyse')).toEqual([
      { kind: 'analyse', idempotencyKey: `${step.key}:analyse` },
    ]);
  });

  it('a VM the cloud no longer lists is a permanent failure', async () => {
    const h = bootedHarness();
    await expect(h.run(new AnalyseHandler(h.steps), h.due('analyse', 'db'))).rejects.toMatchObject({
      code: 'server-missing',
    });
  });
});
