import type { ActivationEvent } from '@reprise/domain/activation';
import {
  awaitingDisaster,
  bringUp,
  networkUp,
  restoreAll,
  restoreStarted,
  runningTest,
  stepFailed,
  t,
} from '@reprise/domain/activation/testing/fixtures';
import { play } from '@reprise/domain/activation/testing/given-when-then';
import { applyEvents, emptyFold, hasGap, projectFold, rtoTargets, type RecordedEventView } from './fold';

/** Recorded events as the API's `/events` and SSE stream give them (seq from 0, `at` = record time). */
const recorded = (events: ActivationEvent[]): RecordedEventView[] =>
  events.map((e, seq) => ({ seq, type: e.type, at: (e.data as { at: string }).at, data: e.data }));

/**
 * The diamond (dc → db1, db2 → app, and lone): dc and lone restored and up, db1 restored and
 * booting, db2's restore failed, so app (downstream of db2) is blocked.
 */
function midRun(): RecordedEventView[] {
  const base = runningTest();
  return recorded(
    play(base, [
      ...networkUp(t(0)),
      ...restoreAll('dc', t(0), t(10)),
      ...restoreAll('lone', t(0), t(12)),
      ...restoreAll('db1', t(0), t(20)),
      restoreStarted('db2', t(0)),
      stepFailed('db2', 'restore', t(15), 1, 'restore point unreadable'),
      ...bringUp('dc', t(10), t(14), t(16)),
      ...bringUp('lone', t(12), t(15), t(18), 'warning'),
      ...bringUp('db1', t(20), t(24), t(30)).slice(0, 1),
    ]),
  );
}

describe('live view event folding', () => {
  it('folds events into each server phase with the domain rules', () => {
    const fold = applyEvents(emptyFold(), midRun());
    const p = projectFold(fold)!;
    const phase = Object.fromEntries(p.view.servers.map((s) => [s.hostname, s.phase]));
    expect(phase).toEqual({ dc: 'ok', db1: 'booting', db2: 'failed', app: 'blocked', lone: 'warning' });
    expect(p.view.counts.ok + p.view.counts.warning).toBe(2);
    const db2 = p.view.servers.find((s) => s.hostname === 'db2')!;
    expect(db2.failure).toMatchObject({ step: 'restore', reason: 'restore point unreadable' });
    expect(db2.detail).toBe('restore point unreadable');
    const app = p.view.servers.find((s) => s.hostname === 'app')!;
    expect(app.blockedBy).toBe('db2');
    expect(app.detail).toMatch(/db2/);
  });

  it('turns each server into the report timeline segments; running, failed and cancelled ones marked', () => {
    const p = projectFold(applyEvents(emptyFold(), midRun()))!;
    const seg = (host: string) => p.rows.find((r) => r.server.hostname === host)!.segments;
    expect(seg('dc')).toEqual([
      { phase: 'restore', startMinutes: 0, endMinutes: 10, outcome: 'done' },
      { phase: 'boot', startMinutes: 10, endMinutes: 14, outcome: 'done' },
      { phase: 'analysis', startMinutes: 14, endMinutes: 16, outcome: 'done' },
    ]);
    expect(seg('db1')).toEqual([
      { phase: 'restore', startMinutes: 0, endMinutes: 20, outcome: 'done' },
      { phase: 'boot', startMinutes: 20, endMinutes: null, outcome: 'running' },
    ]);
    expect(seg('db2')).toEqual([{ phase: 'restore', startMinutes: 0, endMinutes: 15, outcome: 'failed' }]);
    // app never started: it waited for a restore slot until db2's failure blocked it.
    expect(seg('app')).toEqual([
      { phase: 'restore-queue', startMinutes: 0, endMinutes: 15, outcome: 'cancelled' },
    ]);
    // Running bars end at the last recorded event.
    expect(p.nowMinutes).toBe(20);
    expect(p.origin).toBe(t(0));
  });

  it('applies each event once, in order, whatever order and duplication the stream delivers', () => {
    const events = midRun();
    const inOrder = applyEvents(emptyFold(), events);
    // A reconnect replays from Last-Event-ID; chunks may overlap and arrive shuffled.
    const shuffled = [...events].sort((a, b) => ((a.seq * 7919) % 13) - ((b.seq * 7919) % 13));
    let fold = emptyFold();
    for (let i = 0; i < shuffled.length; i += 5)
      fold = applyEvents(fold, shuffled.slice(Math.max(0, i - 3), i + 5));
    fold = applyEvents(fold, events.slice(0, 4));
    expect(fold.lastSeq).toBe(events.length - 1);
    expect(fold.events.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    expect(projectFold(fold)!.view).toEqual(projectFold(inOrder)!.view);
    expect(hasGap(fold)).toBe(false);
  });

  it('holds an event back behind a missing one and says so, until the gap is filled', () => {
    const events = midRun();
    const missing = 5;
    const fold = applyEvents(
      emptyFold(),
      events.filter((e) => e.seq !== missing),
    );
    expect(fold.lastSeq).toBe(missing - 1);
    expect(hasGap(fold)).toBe(true);
    const filled = applyEvents(fold, [events[missing]]);
    expect(hasGap(filled)).toBe(false);
    expect(filled.lastSeq).toBe(events.length - 1);
  });

  it('returns the same fold (no re-render) when nothing new arrives', () => {
    const fold = applyEvents(emptyFold(), midRun());
    expect(applyEvents(fold, midRun().slice(0, 10))).toBe(fold);
  });

  it('lists the RTO targets with how many servers share each', () => {
    const p = projectFold(applyEvents(emptyFold(), midRun()))!;
    expect(rtoTargets(p.rows)).toEqual([{ minutes: 240, servers: 5 }]);
    const mixed = p.rows.map((r, i) => ({
      ...r,
      server: { ...r.server, rtoMinutes: i < 2 ? 60 : i < 4 ? 240 : null },
    }));
    expect(rtoTargets(mixed)).toEqual([
      { minutes: 60, servers: 2 },
      { minutes: 240, servers: 2 },
    ]);
  });

  it('can show every prefix of a stream, even one that ends between two events of one command', () => {
    // The stream may deliver ActivationRequested without the ConfirmationRequested appended with it.
    for (const events of [midRun(), recorded(awaitingDisaster())])
      for (let k = 1; k <= events.length; k++) {
        const p = projectFold(applyEvents(emptyFold(), events.slice(0, k)));
        expect(p?.view.servers).toHaveLength(5);
      }
    const [requestedOnly] = recorded(awaitingDisaster());
    const p = projectFold(applyEvents(emptyFold(), [requestedOnly]))!;
    expect(p.view.status).toBe('awaiting-confirmation');
    expect(p.view.confirmationExpiresAt).toBeNull();
  });

  it('has nothing to show before the request is folded', () => {
    expect(projectFold(emptyFold())).toBeNull();
  });
});
