import { confirmationCodeHashOf, confirmationRefusal } from './activation.decider';
import { requestFailback } from './testing/failback-fixtures';
import type { ActivationEvent } from './activation.events';
import {
  ACTIVATION_ID,
  alertRaised,
  alice,
  always,
  authorised,
  awaitingDisaster,
  bob,
  booted,
  bootStarted,
  bringUp,
  carol,
  codeHashFor,
  checked,
  confirmation,
  confirmationAt,
  diamond,
  diskRestored,
  id,
  mallory,
  networkUp,
  requestCommand,
  restoreAll,
  restoreStarted,
  runningTest,
  server,
  stepFailed,
  t,
  T0,
  TENANT_ID,
} from './testing/fixtures';
import { whatIsDue } from './activation.workflow';
import { given, play, stateOf } from './testing/given-when-then';

const DRP = ['dc', 'db1', 'db2', 'app', 'lone'];
const drpSnapshots = diamond.filter((s) => DRP.includes(s.hostname));

/** A DRP test where every server is up: only the last health check and the network are missing. */
const allButLast = () =>
  play(runningTest(), [
    ...DRP.flatMap((h) => restoreAll(h, t(0), t(10))),
    ...bringUp('dc', t(10), t(12), t(14)),
    ...bringUp('db1', t(14), t(16), t(18)),
    ...bringUp('db2', t(14), t(16), t(18)),
    ...bringUp('lone', t(10), t(12), t(14)),
    bootStarted('app', t(18)),
    booted('app', t(20)),
  ]);

describe('activation decider', () => {
  describe('request', () => {
    it('a DRP test starts at once, with the full DRP scope and the network', () => {
      given()
        .when(requestCommand())
        .then([
          {
            type: 'ActivationRequested',
            data: {
              activationId: ACTIVATION_ID,
              tenantId: TENANT_ID,
              type: 'test',
              kind: 'drp-test',
              scope: { mode: 'full', requested: [], added: [], excluded: [] },
              servers: drpSnapshots,
              requestedBy: alice,
              reason: 'half-yearly DRP test',
              requestedAt: T0,
              window: { activationWindow: 'business-hours', timeZone: 'Europe/Paris' },
              withNetwork: true,
              at: T0,
            },
          },
          { type: 'ActivationStarted', data: { at: T0 } },
        ]);
      expect(stateOf(runningTest()).status).toBe('running');
    });

    it('a restore test works on backup-with-tests servers, without network', () => {
      const [req] = given()
        .when(requestCommand({ kind: 'restore-test' }))
        .thenTypes('ActivationRequested', 'ActivationStarted');
      expect(req.type === 'ActivationRequested' && req.data).toMatchObject({
        kind: 'restore-test',
        withNetwork: false,
        servers: [{ hostname: 'bk' }],
      });
    });

    it('a disaster waits for confirmation: each authorised person but the requester gets their own code (its hash, never a code)', () => {
      given()
        .when(requestCommand({ type: 'disaster', confirmation }))
        .thenTypes('ActivationRequested', 'ConfirmationRequested');
      const events = awaitingDisaster();
      expect(events[1]).toEqual({
        type: 'ConfirmationRequested',
        data: {
          codes: [
            { email: bob.email, codeHash: codeHashFor(bob.email) },
            { email: carol.email, codeHash: codeHashFor(carol.email) },
          ],
          expiresAt: t(15),
          recipients: [bob.email, carol.email],
          attemptsAllowed: 5,
          requestedBy: alice,
          at: T0,
        },
      });
      expect(stateOf(events).status).toBe('awaiting-confirmation');
    });

    it('takes the confirmation deadline from the command (a human deadline set through the Clock port), after the request', () => {
      // On the simulator's 600× clock, 15 wall minutes are 150 clock hours.
      const events = given()
        .when(requestCommand({ type: 'disaster', confirmation: { ...confirmation, expiresAt: t(15 * 600) } }))
        .thenTypes('ActivationRequested', 'ConfirmationRequested');
      expect(stateOf(events).confirmation?.expiresAt).toBe(t(9000));
      given()
        .when(requestCommand({ type: 'disaster', confirmation: { ...confirmation, expiresAt: T0 } }))
        .thenThrows('validation', 'confirmation-deadline', {
          errors: [{ field: 'confirmation.expiresAt', message: 'must be a time after the request' }],
        });
    });

    it('an alert is a standby', () => {
      given()
        .when(requestCommand({ type: 'alert' }))
        .thenTypes('ActivationRequested', 'AlertRaised');
      expect(stateOf(alertRaised()).status).toBe('alert');
    });

    it('refuses a disaster without a code hash, with a plaintext code, or without another authorised person', () => {
      given()
        .when(requestCommand({ type: 'disaster' }))
        .thenThrows('validation', 'confirmation-required');
      given()
        .when(
          requestCommand({
            type: 'disaster',
            confirmation: {
              ...confirmation,
              codes: [...confirmation.codes, { email: 'dan@acme.test', codeHash: '123456' }],
            },
          }),
        )
        .thenThrows('validation', 'code-hash-required');
      given()
        .when(requestCommand({ type: 'disaster', confirmation: { ...confirmation, codes: [] } }))
        .thenThrows('rule', 'no-authorised-person');
      given()
        .when(
          requestCommand({
            type: 'disaster',
            confirmation: {
              ...confirmation,
              codes: [{ email: 'ALICE@acme.test', codeHash: codeHashFor(alice.email) }],
            },
          }),
        )
        .thenThrows('rule', 'no-other-authorised-person');
    });

    it('refuses a second request on the same stream', () => {
      given(runningTest()).when(requestCommand()).thenThrows('conflict', 'activation-exists');
    });

    it('refuses a wrong kind and a malformed time', () => {
      given()
        .when(requestCommand({ type: 'disaster', kind: 'drp-test', confirmation }))
        .thenThrows('validation', 'invalid-kind');
      given()
        .when(requestCommand({ kind: 'failover' }))
        .thenThrows('validation', 'invalid-kind');
      given()
        .when(requestCommand({ at: 'yesterday' }))
        .thenThrows('validation', 'invalid-time');
    });

    it('a partial scope pulls in upstream dependencies and says so', () => {
      const [req] = given()
        .when(requestCommand({ type: 'disaster', confirmation, scope: { servers: ['app'] } }))
        .thenTypes('ActivationRequested', 'ConfirmationRequested');
      expect(req.type === 'ActivationRequested' && req.data.scope).toEqual({
        mode: 'partial',
        requested: ['app'],
        added: [
          { hostname: 'dc', requiredBy: ['db1', 'db2'] },
          { hostname: 'db1', requiredBy: ['app'] },
          { hostname: 'db2', requiredBy: ['app'] },
        ],
        excluded: [],
      });
    });

    it('refuses unknown servers and servers of another class by name', () => {
      given()
        .when(requestCommand({ scope: { servers: ['app', 'ghost', 'old'] } }))
        .thenThrows('rule', 'scope-refused', {
          servers: ['ghost', 'old'],
          unknown: ['ghost'],
          notEligible: ['old'],
        });
    });
  });

  describe('confirmation (four eyes)', () => {
    const confirm = (email: string, codeValid: boolean, at = t(5)) =>
      ({ type: 'ConfirmActivation', data: { email, codeValid, authorisedPersons: authorised, at } }) as const;

    it('an authorised person other than the requester confirms with the right code: it starts (24x7 or inside the window)', () => {
      given(awaitingDisaster())
        .when(confirm('Bob@acme.test', true))
        .then([
          { type: 'ActivationConfirmed', data: { by: bob, at: t(5) } },
          { type: 'ActivationStarted', data: { at: t(5) } },
        ]);
    });

    it('refuses a person who is not authorised (403) and the requester (403 four-eyes), recording nothing', () => {
      given(awaitingDisaster())
        .when(confirm(mallory.email, true))
        .thenThrows('forbidden', 'not-authorised-person');
      given(awaitingDisaster()).when(confirm(alice.email, true)).thenThrows('forbidden', 'four-eyes');
    });

    it('each recipient has their own code: the hash the handler checks is the one sent to the confirmer', () => {
      const state = stateOf(awaitingDisaster());
      expect(confirmationCodeHashOf(state, 'BOB@acme.test')).toBe(codeHashFor(bob.email));
      expect(confirmationCodeHashOf(state, carol.email)).toBe(codeHashFor(carol.email));
      expect(confirmationCodeHashOf(state, alice.email)).toBeNull();
      // Named an authorised person after the request: no code was sent to them, they cannot confirm.
      const dan = { name: 'Dan', email: 'dan@acme.test' };
      given(awaitingDisaster())
        .when({
          type: 'ConfirmActivation',
          data: { email: dan.email, codeValid: true, authorisedPersons: [...authorised, dan], at: t(5) },
        })
        .thenThrows('forbidden', 'no-code-sent');
    });

    it('a confirmation recorded before per-recipient codes (one hash for all) still folds', () => {
      const [requested] = awaitingDisaster();
      const legacy = {
        type: 'ConfirmationRequested',
        data: {
          codeHash: codeHashFor('everyone'),
          expiresAt: t(15),
          recipients: [bob.email, carol.email],
          attemptsAllowed: 5,
          requestedBy: alice,
          at: T0,
        },
      } as ActivationEvent;
      const state = stateOf([requested, legacy]);
      expect(confirmationCodeHashOf(state, carol.email)).toBe(codeHashFor('everyone'));
      given([requested, legacy])
        .when(confirm(carol.email, true))
        .thenTypes('ActivationConfirmed', 'ActivationStarted');
    });

    it('a wrong code is recorded with the attempts left, and answered 403', () => {
      const events = given(awaitingDisaster())
        .when(confirm(bob.email, false))
        .then([{ type: 'ConfirmationAttemptFailed', data: { email: bob.email, attemptsLeft: 4, at: t(5) } }]);
      const refusal = confirmationRefusal(events);
      expect(refusal).toMatchObject({ kind: 'forbidden', code: 'wrong-code', details: { attemptsLeft: 4 } });
    });

    it('the 5th wrong code rejects the activation', () => {
      const four = play(
        awaitingDisaster(),
        [1, 2, 3, 4].map((i) => confirm(i % 2 ? bob.email : carol.email, false, t(i))),
      );
      expect(stateOf(four).confirmation!.failedAttempts).toBe(4);
      const events = given(four)
        .when(confirm(bob.email, false, t(6)))
        .then([
          { type: 'ConfirmationAttemptFailed', data: { email: bob.email, attemptsLeft: 0, at: t(6) } },
          { type: 'ActivationRejected', data: { reason: 'too-many-wrong-codes', at: t(6) } },
        ]);
      expect(confirmationRefusal(events)).toMatchObject({
        kind: 'forbidden',
        details: { attemptsLeft: 0, status: 'rejected' },
      });
      given([...four, ...events])
        .when(confirm(bob.email, true, t(7)))
        .thenThrows('conflict', 'wrong-status', { status: 'rejected' });
    });

    it('after 15 minutes the confirmation is rejected as expired', () => {
      const events = given(awaitingDisaster())
        .when(confirm(bob.email, true, t(15)))
        .then([{ type: 'ActivationRejected', data: { reason: 'confirmation-expired', at: t(15) } }]);
      expect(confirmationRefusal(events)).toMatchObject({ kind: 'conflict', code: 'confirmation-expired' });
      expect(confirmationRefusal([{ type: 'ActivationStarted', data: { at: T0 } }])).toBeNull();
    });

    it('the expiry job rejects at expiresAt, not before, and does nothing once confirmed', () => {
      given(awaitingDisaster())
        .when({ type: 'ExpireConfirmation', data: { at: t(14) } })
        .thenThrows('conflict', 'not-yet-due');
      given(awaitingDisaster())
        .when({ type: 'ExpireConfirmation', data: { at: t(15) } })
        .then([{ type: 'ActivationRejected', data: { reason: 'confirmation-expired', at: t(15) } }]);
      given(play(awaitingDisaster(), [confirm(bob.email, true)]))
        .when({ type: 'ExpireConfirmation', data: { at: t(15) } })
        .thenNothing();
    });

    it('a test cannot be confirmed', () => {
      given(runningTest()).when(confirm(bob.email, true)).thenThrows('conflict', 'wrong-status');
    });
  });

  describe('activation window', () => {
    // Friday 7 June 2024 19:00 in Paris (17:00 UTC): outside business hours.
    const friday = '2024-06-07T17:00:00.000Z';
    const monday = '2024-06-10T06:00:00.000Z'; // 08:00 Paris (CEST)
    const lateDisaster = (window = requestCommand().data.window) => awaitingDisaster({ at: friday, window });
    const confirmAt = (at: string) =>
      ({
        type: 'ConfirmActivation',
        data: { email: bob.email, codeValid: true, authorisedPersons: authorised, at },
      }) as const;

    it('a business-hours tenant confirmed outside the window is scheduled for the next opening', () => {
      given(lateDisaster())
        .when(confirmAt('2024-06-07T17:05:00.000Z'))
        .then([
          { type: 'ActivationConfirmed', data: { by: bob, at: '2024-06-07T17:05:00.000Z' } },
          { type: 'ActivationScheduled', data: { startsAt: monday, at: '2024-06-07T17:05:00.000Z' } },
        ]);
    });

    it('a 24x7 tenant starts at once', () => {
      given(lateDisaster(always))
        .when(confirmAt('2024-06-07T17:05:00.000Z'))
        .thenTypes('ActivationConfirmed', 'ActivationStarted');
    });

    it('a scheduled activation starts by itself when the window opens, not before, once', () => {
      const scheduled = play(lateDisaster(), [confirmAt('2024-06-07T17:05:00.000Z')]);
      expect(stateOf(scheduled)).toMatchObject({ status: 'scheduled', startsAt: monday });
      given(scheduled)
        .when({ type: 'StartScheduledActivation', data: { at: '2024-06-10T05:59:00.000Z' } })
        .thenThrows('conflict', 'not-yet-due');
      const started = given(scheduled)
        .when({ type: 'StartScheduledActivation', data: { at: monday } })
        .then([{ type: 'ActivationStarted', data: { at: monday } }]);
      const all = [...scheduled, ...started];
      expect(stateOf(all)).toMatchObject({ status: 'running', launchedAt: monday, startsAt: null });
      given(all)
        .when({ type: 'StartScheduledActivation', data: { at: monday } })
        .thenNothing();
    });
  });

  describe('alert', () => {
    const escalate = (scope: 'full' | { servers: string[] } = 'full', by = alice) =>
      ({
        type: 'EscalateAlert',
        data: {
          scope,
          estate: diamond,
          confirmation: confirmationAt(t(30)),
          by,
          reason: 'the site is flooded',
          at: t(30),
        },
      }) as const;

    it('pre-stages restores while in alert (flagged), but never boots', () => {
      const [e] = given(alertRaised())
        .when(restoreStarted('dc', t(1)))
        .thenTypes('ServerRestoreStarted');
      expect(e.data).toMatchObject({ prestaged: true, rpoMinutes: 61, method: 'backup-restore' });
      const restored = play(alertRaised(), restoreAll('dc', t(1), t(9)));
      expect(stateOf(restored).servers[0].phase).toBe('restored');
      given(restored)
        .when(bootStarted('dc', t(10)))
        .thenThrows('conflict', 'wrong-status', { status: 'alert' });
    });

    it('escalates to a disaster awaiting confirmation, keeping pre-staged restores and applying the new scope', () => {
      const prestaged = play(alertRaised(), [...restoreAll('dc', t(1), t(9)), restoreStarted('lone', t(1))]);
      const events = given(prestaged)
        .when(escalate({ servers: ['db1'] }))
        .thenTypes('AlertEscalated', 'ConfirmationRequested');
      expect(events[0].data).toMatchObject({
        scope: { mode: 'partial', requested: ['db1'], added: [{ hostname: 'dc', requiredBy: ['db1'] }] },
        removed: [id('db2'), id('app'), id('lone')],
      });
      const s = stateOf([...prestaged, ...events]);
      expect(s).toMatchObject({ status: 'awaiting-confirmation', type: 'disaster' });
      expect(s.servers.map((x) => [x.snapshot.hostname, x.phase])).toEqual([
        ['dc', 'restored'],
        ['db1', 'pending'],
      ]);
      // a pre-staged restore of a server dropped from the scope reports late: ignored
      given([...prestaged, ...events])
        .when(diskRestored('lone', 'c', t(31)))
        .thenNothing();
    });

    it('alert → escalate → confirm by another authorised person → running', () => {
      const escalated = play(alertRaised(), [escalate()]);
      given(escalated)
        .when({
          type: 'ConfirmActivation',
          data: { email: alice.email, codeValid: true, authorisedPersons: authorised, at: t(31) },
        })
        .thenThrows('forbidden', 'four-eyes');
      const escalatedByBob = play(alertRaised(), [escalate('full', bob)]);
      const all = play(escalatedByBob, [
        {
          type: 'ConfirmActivation',
          data: { email: alice.email, codeValid: true, authorisedPersons: authorised, at: t(31) },
        },
      ]);
      expect(stateOf(all)).toMatchObject({
        status: 'running',
        type: 'disaster',
        launchedAt: t(31),
        confirmedBy: { email: alice.email },
      });
    });

    it('stands down (the pre-staged restores are then torn down), once', () => {
      const prestaged = play(alertRaised(), [restoreStarted('dc', t(1))]);
      const events = given(prestaged)
        .when({ type: 'StandDownAlert', data: { by: alice, reason: 'false alarm', at: t(20) } })
        .then([{ type: 'AlertStoodDown', data: { by: alice, reason: 'false alarm', at: t(20) } }]);
      const stood = [...prestaged, ...events];
      expect(stateOf(stood).status).toBe('stood-down');
      given(stood)
        .when({ type: 'StandDownAlert', data: { by: alice, at: t(21) } })
        .thenNothing();
      given(stood)
        .when(diskRestored('dc', 'c', t(22)))
        .thenNothing();
      given(stood)
        .when({ type: 'RecordTeardown', data: { remaining: [], at: t(25) } })
        .then([{ type: 'TeardownVerified', data: { remaining: [], at: t(25) } }]);
    });

    it('an escalation recorded after the alert was stood down (claimed on a stale state) changes nothing', () => {
      const alert = alertRaised();
      const escalation = given(alert).when(escalate()).thenTypes('AlertEscalated', 'ConfirmationRequested');
      const stood = play(alert, [
        { type: 'StandDownAlert', data: { by: alice, reason: 'false alarm', at: t(20) } },
      ]);
      const late = stateOf([...stood, ...escalation]);
      expect(late).toMatchObject({
        status: 'stood-down',
        type: 'alert',
        confirmation: null,
        escalated: null,
      });
    });

    it('refuses to escalate or stand down what is not an alert', () => {
      given(runningTest()).when(escalate()).thenThrows('conflict', 'wrong-status');
      given(runningTest())
        .when({ type: 'StandDownAlert', data: { by: alice, at: t(1) } })
        .thenThrows('conflict', 'wrong-status');
    });
  });

  describe('execution facts', () => {
    it('restores disks; the last disk records the server restored; duplicates change nothing', () => {
      const started = play(runningTest(), [restoreStarted('dc', t(0))]);
      given(started)
        .when(restoreStarted('dc', t(0)))
        .thenNothing();
      given(started)
        .when({
          ...restoreStarted('dc', t(0)),
          data: { ...restoreStarted('dc', t(0)).data, restorePointId: 'other' },
        } as never)
        .thenThrows('conflict', 'restore-already-started');
      given(started)
        .when(diskRestored('dc', 'c', t(5)))
        .then([{ type: 'DiskRestored', data: { serverId: id('dc'), attempt: 1, disk: 'c', at: t(5) } }]);
      const oneDisk = play(started, [diskRestored('dc', 'c', t(5))]);
      given(oneDisk)
        .when(diskRestored('dc', 'c', t(5)))
        .thenNothing();
      given(oneDisk)
        .when(diskRestored('dc', 'd', t(8)))
        .then([
          { type: 'DiskRestored', data: { serverId: id('dc'), attempt: 1, disk: 'd', at: t(8) } },
          { type: 'ServerRestored', data: { serverId: id('dc'), attempt: 1, at: t(8) } },
        ]);
      given(started)
        .when(diskRestored('dc', 'z', t(5)))
        .thenThrows('conflict', 'unknown-disk');
      given(runningTest())
        .when(diskRestored('dc', 'c', t(5)))
        .thenThrows('conflict', 'restore-not-started');
      given(runningTest())
        .when(restoreStarted('nope', t(0)))
        .thenThrows('not-found', 'server-not-found');
    });

    it('an explicit ServerRestored and a replica activation count as restored', () => {
      given(play(runningTest(), [restoreStarted('dc', t(0))]))
        .when({ type: 'RecordServerRestored', data: { serverId: id('dc'), attempt: 1, at: t(3) } })
        .then([{ type: 'ServerRestored', data: { serverId: id('dc'), attempt: 1, at: t(3) } }]);
      const replicated = runningTest({ estate: [server('vm', { recoveryMethod: 'vm-replication' })] });
      const events = play(replicated, [
        restoreStarted('vm', t(0)),
        { type: 'RecordReplicaActivated', data: { serverId: id('vm'), attempt: 1, at: t(1) } },
      ]);
      expect(stateOf(events).servers[0]).toMatchObject({ phase: 'restored', replicaActivated: true });
      given(events)
        .when({ type: 'RecordReplicaActivated', data: { serverId: id('vm'), attempt: 1, at: t(1) } })
        .thenNothing();
      given(play(runningTest(), [restoreStarted('dc', t(0))]))
        .when({ type: 'RecordReplicaActivated', data: { serverId: id('dc'), attempt: 1, at: t(1) } })
        .thenThrows('conflict', 'not-replicated');
    });

    it('boots only restored servers whose own upstream servers are available', () => {
      const restored = play(
        runningTest(),
        DRP.flatMap((h) => restoreAll(h, t(0), t(10))),
      );
      given(runningTest())
        .when(bootStarted('dc', t(1)))
        .thenThrows('conflict', 'not-restored');
      given(restored)
        .when(bootStarted('db1', t(11)))
        .thenThrows('conflict', 'upstream-not-available', { waitingFor: ['dc'] });
      given(restored)
        .when(bootStarted('dc', t(11)))
        .thenTypes('ServerBootStarted');
      const dcBooting = play(restored, [bootStarted('dc', t(11))]);
      given(dcBooting)
        .when(bootStarted('dc', t(11)))
        .thenNothing();
      given(dcBooting)
        .when(bootStarted('dc', t(11), 1, 'esx-9'))
        .thenThrows('conflict', 'boot-already-started');
      const dcOk = play(restored, bringUp('dc', t(11), t(13), t(15)));
      given(dcOk)
        .when(bootStarted('db1', t(16)))
        .thenTypes('ServerBootStarted');
      given(dcOk)
        .when(bootStarted('app', t(16)))
        .thenThrows('conflict', 'upstream-not-available', { waitingFor: ['db1', 'db2'] });
    });

    it('records the steps of a server up to its health, each once', () => {
      const restored = play(runningTest(), restoreAll('dc', t(0), t(10)));
      given(restored)
        .when(booted('dc', t(12)))
        .thenThrows('conflict', 'boot-not-started');
      given(restored)
        .when(checked('dc', 'ok', t(12)))
        .thenThrows('conflict', 'not-booted');
      const up = play(restored, bringUp('dc', t(10), t(12), t(14), 'warning'));
      const dc = stateOf(up).servers[0];
      expect(dc).toMatchObject({
        phase: 'warning',
        health: 'warning',
        bootStartedAt: t(10),
        bootedAt: t(12),
        analysisStartedAt: t(12),
        checkedAt: t(14),
      });
      for (const c of bringUp('dc', t(10), t(12), t(14), 'warning')) given(up).when(c).thenNothing();
      given(up)
        .when(checked('dc', 'ok', t(14)))
        .thenThrows('conflict', 'already-checked');
    });

    it('ignores facts of a superseded attempt and refuses an attempt from the future', () => {
      const retried = play(runningTest(), [
        restoreStarted('dc', t(0)),
        stepFailed('dc', 'restore', t(1)),
        { type: 'RetryServer', data: { serverId: id('dc'), by: alice, at: t(2) } },
      ]);
      given(retried)
        .when(diskRestored('dc', 'c', t(3), 1))
        .thenNothing();
      given(retried)
        .when(restoreStarted('dc', t(3), 3))
        .thenThrows('conflict', 'unknown-attempt');
      given(retried)
        .when(restoreStarted('dc', t(3), 2))
        .thenTypes('ServerRestoreStarted');
    });

    it('a failure blocks every transitive downstream server, and only them', () => {
      const restored = play(
        runningTest(),
        DRP.flatMap((h) => restoreAll(h, t(0), t(10))),
      );
      const events = given(restored)
        .when(stepFailed('dc', 'boot', t(11), 1, 'no bootable disk'))
        .thenTypes('ServerStepFailed', 'ServerBlocked', 'ServerBlocked', 'ServerBlocked');
      expect(events.slice(1).map((e) => e.data)).toEqual([
        {
          serverId: id('db1'),
          blockedBy: 'dc',
          blockedByServerId: id('dc'),
          reason: 'upstream dc failed (boot: no bootable disk)',
          at: t(11),
        },
        {
          serverId: id('db2'),
          blockedBy: 'dc',
          blockedByServerId: id('dc'),
          reason: 'upstream dc failed (boot: no bootable disk)',
          at: t(11),
        },
        {
          serverId: id('app'),
          blockedBy: 'dc',
          blockedByServerId: id('dc'),
          reason: 'upstream dc failed (boot: no bootable disk)',
          at: t(11),
        },
      ]);
      const s = stateOf([...restored, ...events]);
      expect(s.servers.map((x) => x.phase)).toEqual(['failed', 'blocked', 'blocked', 'blocked', 'restored']);
      given([...restored, ...events])
        .when(bootStarted('lone', t(12)))
        .thenTypes('ServerBootStarted');
      given([...restored, ...events])
        .when(bootStarted('db1', t(12)))
        .thenThrows('conflict', 'server-blocked');
      given([...restored, ...events])
        .when(stepFailed('dc', 'boot', t(11), 1, 'no bootable disk'))
        .thenNothing();
      given([...restored, ...events])
        .when(stepFailed('dc', 'restore', t(11)))
        .thenThrows('conflict', 'server-failed');
    });

    it('a failed health check blocks too; a half-way diamond branch failing blocks only what is below it', () => {
      const events = play(runningTest(), [
        ...DRP.flatMap((h) => restoreAll(h, t(0), t(10))),
        ...bringUp('dc', t(10), t(12), t(14)),
        ...bringUp('db1', t(14), t(16), t(18), 'failed'),
      ]);
      const s = stateOf(events);
      expect(Object.fromEntries(s.servers.map((x) => [x.snapshot.hostname, x.phase]))).toEqual({
        dc: 'ok',
        db1: 'failed',
        db2: 'restored',
        app: 'blocked',
        lone: 'restored',
      });
    });

    it('refuses contradicting failures', () => {
      const restored = play(runningTest(), restoreAll('dc', t(0), t(10)));
      given(restored)
        .when(stepFailed('dc', 'restore', t(11)))
        .thenThrows('conflict', 'step-already-done');
      given(restored)
        .when(stepFailed('dc', 'analysis', t(11)))
        .thenThrows('conflict', 'not-booted');
      given(runningTest())
        .when(stepFailed('dc', 'boot', t(11)))
        .thenThrows('conflict', 'not-restored');
    });

    it('network steps, once each; none for a restore test', () => {
      given(runningTest())
        .when({ type: 'RecordNetworkSetupStarted', data: { at: t(0) } })
        .then([{ type: 'NetworkSetupStarted', data: { at: t(0) } }]);
      const ready = play(runningTest(), networkUp(t(3)));
      expect(stateOf(ready).network).toMatchObject({ phase: 'ready', readyAt: t(3) });
      given(ready)
        .when({ type: 'RecordNetworkReady', data: { at: t(4) } })
        .thenNothing();
      given(ready)
        .when({ type: 'RecordNetworkSetupFailed', data: { reason: 'vpn', at: t(4) } })
        .thenThrows('conflict', 'network-ready');
      given(runningTest())
        .when({ type: 'RecordNetworkReady', data: { at: t(4) } })
        .thenThrows('conflict', 'network-not-started');
      given(runningTest({ kind: 'restore-test' }))
        .when({ type: 'RecordNetworkSetupStarted', data: { at: t(0) } })
        .thenThrows('conflict', 'network-not-required');
    });

    it('records a projected RTO breach at most once per server, only while running', () => {
      const breach = {
        type: 'RecordRtoBreachProjected',
        data: { serverId: id('app'), projectedMinutes: 250, targetMinutes: 240, at: t(5) },
      } as const;
      const events = given(runningTest())
        .when(breach)
        .then([{ type: 'RtoBreachProjected', data: { ...breach.data } }]);
      given([...runningTest(), ...events])
        .when(breach)
        .thenNothing();
      given(alertRaised()).when(breach).thenNothing();
    });
  });

  describe('completion', () => {
    it('completes in the same decide as the last fact, when the network is ready', () => {
      const base = play(allButLast(), networkUp(t(5)));
      given(base)
        .when(checked('app', 'ok', t(22)))
        .then([
          {
            type: 'ServerChecked',
            data: { serverId: id('app'), attempt: 1, health: 'ok', detail: null, at: t(22) },
          },
          { type: 'ActivationCompleted', data: { status: 'completed', at: t(22) } },
        ]);
    });

    it('waits for the network, then completes', () => {
      const servers = play(allButLast(), [
        checked('app', 'ok', t(22)),
        { type: 'RecordNetworkSetupStarted', data: { at: t(1) } },
      ]);
      expect(stateOf(servers).status).toBe('running');
      given(servers)
        .when({ type: 'RecordNetworkReady', data: { at: t(25) } })
        .thenTypes('NetworkReady', 'ActivationCompleted');
    });

    it('is completed-with-failures when a server failed or was blocked, or the network failed', () => {
      given(play(allButLast(), networkUp(t(5))))
        .when(checked('app', 'failed', t(22)))
        .then([
          {
            type: 'ServerChecked',
            data: { serverId: id('app'), attempt: 1, health: 'failed', detail: null, at: t(22) },
          },
          { type: 'ActivationCompleted', data: { status: 'completed-with-failures', at: t(22) } },
        ]);
      const network = play(allButLast(), [
        checked('app', 'ok', t(22)),
        { type: 'RecordNetworkSetupStarted', data: { at: t(1) } },
      ]);
      const [, done] = given(network)
        .when({ type: 'RecordNetworkSetupFailed', data: { reason: 'VPN down', at: t(30) } })
        .thenTypes('NetworkSetupFailed', 'ActivationCompleted');
      expect(done.data).toEqual({ status: 'completed-with-failures', at: t(30) });
    });

    it('a restore test completes without network, and asks for its own teardown (report, then nothing left)', () => {
      const rt = runningTest({ kind: 'restore-test' });
      const events = play(rt, [...restoreAll('bk', t(0), t(10)), ...bringUp('bk', t(10), t(12), t(14))]);
      expect(events.slice(-2)).toEqual([
        { type: 'ActivationCompleted', data: { status: 'completed', at: t(14) } },
        { type: 'CloseRequested', data: { by: alice, at: t(14) } },
      ]);
      expect(stateOf(events).status).toBe('completed');
      expect(whatIsDue(stateOf(events), t(14)).steps.map((s) => s.kind)).toEqual(['teardown']);
      const closed = play(events, [{ type: 'RecordTeardown', data: { remaining: [], at: t(15) } }]);
      expect(stateOf(closed).status).toBe('closed');
    });
  });

  describe('abort', () => {
    const abortCmd = (at = t(11)) =>
      ({ type: 'AbortActivation', data: { reason: 'customer request', by: alice, at } }) as const;

    it('cancels the servers not yet terminal; nothing new is due; late facts are ignored', () => {
      const partly = play(runningTest(), [
        ...restoreAll('dc', t(0), t(10)),
        ...bringUp('dc', t(10), t(12), t(14)),
        restoreStarted('lone', t(0)),
      ]);
      const events = given(partly)
        .when(abortCmd(t(15)))
        .then([
          {
            type: 'ActivationAborted',
            data: {
              reason: 'customer request',
              by: alice,
              cancelled: [id('db1'), id('db2'), id('app'), id('lone')],
              at: t(15),
            },
          },
        ]);
      const s = stateOf([...partly, ...events]);
      expect(s.status).toBe('aborted');
      expect(s.servers.map((x) => x.phase)).toEqual([
        'ok',
        'cancelled',
        'cancelled',
        'cancelled',
        'cancelled',
      ]);
      given([...partly, ...events])
        .when(diskRestored('lone', 'c', t(16)))
        .thenNothing();
      given([...partly, ...events])
        .when({ type: 'RecordNetworkSetupStarted', data: { at: t(16) } })
        .thenNothing();
      given([...partly, ...events])
        .when(abortCmd())
        .thenNothing();
    });

    it('aborts a disaster awaiting confirmation or scheduled; refuses a completed or an alert', () => {
      given(awaitingDisaster()).when(abortCmd()).thenTypes('ActivationAborted');
      given(play(allButLast(), [...networkUp(t(5)), checked('app', 'ok', t(22))]))
        .when(abortCmd(t(30)))
        .thenThrows('conflict', 'wrong-status', { status: 'completed' });
      given(alertRaised()).when(abortCmd()).thenThrows('conflict', 'wrong-status');
      given(runningTest())
        .when({ type: 'AbortActivation', data: { reason: ' ', by: alice, at: t(1) } })
        .thenThrows('validation', 'reason-required');
    });
  });

  describe('retry', () => {
    const retryCmd = (host: string, at = t(20)) =>
      ({ type: 'RetryServer', data: { serverId: id(host), by: alice, at } }) as const;

    it('a restore failure runs the restore again; what it blocked goes back to where it was', () => {
      const failed = play(runningTest(), [
        ...['db1', 'db2', 'app', 'lone'].flatMap((h) => restoreAll(h, t(0), t(10))),
        restoreStarted('dc', t(0)),
        stepFailed('dc', 'restore', t(5)),
      ]);
      expect(stateOf(failed).servers.map((x) => x.phase)).toEqual([
        'failed',
        'blocked',
        'blocked',
        'blocked',
        'restored',
      ]);
      const events = given(failed)
        .when(retryCmd('dc'))
        .then([
          {
            type: 'ServerRetryRequested',
            data: {
              serverId: id('dc'),
              attempt: 2,
              resumeFrom: 'pending',
              unblocked: [id('db1'), id('db2'), id('app')],
              reblocked: [],
              by: alice,
              at: t(20),
            },
          },
        ]);
      const s = stateOf([...failed, ...events]);
      expect(s.servers.map((x) => [x.phase, x.attempt])).toEqual([
        ['pending', 2],
        ['restored', 1],
        ['restored', 1],
        ['restored', 1],
        ['restored', 1],
      ]);
      expect(s.servers[0]).toMatchObject({ restoreStartedAt: null, failure: null, disksRestored: [] });
    });

    it('a health failure reboots (restored) and brings a completed-with-failures activation back to running', () => {
      const done = play(allButLast(), [...networkUp(t(5)), checked('app', 'failed', t(22))]);
      expect(stateOf(done).status).toBe('completed-with-failures');
      const events = given(done)
        .when(retryCmd('app', t(30)))
        .thenTypes('ServerRetryRequested');
      expect(events[0].data).toMatchObject({ resumeFrom: 'restored', attempt: 2 });
      const s = stateOf([...done, ...events]);
      expect(s).toMatchObject({ status: 'running', completedAt: null });
      expect(s.servers[3]).toMatchObject({
        phase: 'restored',
        bootStartedAt: null,
        health: null,
        restoredAt: t(10),
      });
      const again = play([...done, ...events], bringUp('app', t(31), t(32), t(33), 'ok', 2));
      expect(stateOf(again)).toMatchObject({ status: 'completed', completedAt: t(33) });
    });

    it('a server still blocked by another failure stays blocked, now naming it', () => {
      const twoFailures = play(runningTest(), [
        ...DRP.flatMap((h) => restoreAll(h, t(0), t(10))),
        ...bringUp('dc', t(10), t(12), t(14)),
        stepFailed('db1', 'boot', t(15)),
        stepFailed('db2', 'boot', t(15)),
      ]);
      const s0 = stateOf(twoFailures);
      expect(s0.servers[3].blockedBy?.hostname).toBe('db1');
      const events = given(twoFailures).when(retryCmd('db1')).thenTypes('ServerRetryRequested');
      expect(events[0].data).toMatchObject({
        resumeFrom: 'restored',
        unblocked: [],
        reblocked: [{ serverId: id('app'), blockedBy: 'db2', blockedByServerId: id('db2') }],
      });
      expect(stateOf([...twoFailures, ...events]).servers[3]).toMatchObject({
        phase: 'blocked',
        blockedBy: { hostname: 'db2' },
      });
    });

    it('refuses to retry a server that has not failed, an unknown one, or in an ended activation', () => {
      given(runningTest()).when(retryCmd('dc')).thenThrows('conflict', 'server-not-failed');
      given(runningTest()).when(retryCmd('ghost')).thenThrows('not-found', 'server-not-found');
      const aborted = play(runningTest(), [
        restoreStarted('dc', t(0)),
        stepFailed('dc', 'restore', t(1)),
        { type: 'AbortActivation', data: { reason: 'stop', by: alice, at: t(2) } },
      ]);
      given(aborted).when(retryCmd('dc')).thenThrows('conflict', 'wrong-status');
    });
  });

  describe('close and teardown (tests)', () => {
    const closeCmd = (at = t(60)) => ({ type: 'RequestClose', data: { by: alice, at } }) as const;
    const teardown = (remaining: string[], at = t(61)) =>
      ({ type: 'RecordTeardown', data: { remaining, at } }) as const;
    const completed = () => play(allButLast(), [...networkUp(t(5)), checked('app', 'ok', t(22))]);

    it('close → teardown incomplete (retried) → verified → closed', () => {
      const closing = play(completed(), [closeCmd()]);
      given(completed())
        .when(closeCmd())
        .then([{ type: 'CloseRequested', data: { by: alice, at: t(60) } }]);
      given(closing).when(closeCmd()).thenNothing();
      const incomplete = given(closing)
        .when(teardown(['vm-app']))
        .then([{ type: 'TeardownIncomplete', data: { remaining: ['vm-app'], attempt: 1, at: t(61) } }]);
      const s = stateOf([...closing, ...incomplete]);
      expect(s.status).toBe('completed');
      expect(s.teardown).toMatchObject({ remaining: ['vm-app'], incompleteAttempts: 1 });
      const done = given([...closing, ...incomplete])
        .when(teardown([], t(62)))
        .then([
          { type: 'TeardownVerified', data: { remaining: [], at: t(62) } },
          { type: 'ActivationClosed', data: { at: t(62) } },
        ]);
      const closed = [...closing, ...incomplete, ...done];
      expect(stateOf(closed)).toMatchObject({ status: 'closed', closedAt: t(62) });
      given(closed)
        .when(teardown([], t(63)))
        .thenNothing();
      given(closed).when(closeCmd()).thenNothing();
    });

    it('an aborted test (or disaster) can be closed; a running one cannot; a completed disaster fails back instead', () => {
      const aborted = play(runningTest(), [
        { type: 'AbortActivation', data: { reason: 'stop', by: alice, at: t(2) } },
      ]);
      given(aborted).when(closeCmd()).thenTypes('CloseRequested');
      given(runningTest()).when(closeCmd()).thenThrows('conflict', 'wrong-status');
      given(runningTest()).when(teardown([])).thenThrows('conflict', 'teardown-not-requested');
      const disaster = play(awaitingDisaster({ window: always }), [
        {
          type: 'ConfirmActivation',
          data: { email: bob.email, codeValid: true, authorisedPersons: authorised, at: t(1) },
        },
      ]);
      const disasterDone = play(disaster, [
        ...DRP.flatMap((h) => restoreAll(h, t(1), t(10))),
        ...bringUp('dc', t(10), t(12), t(14)),
        ...bringUp('db1', t(14), t(16), t(18)),
        ...bringUp('db2', t(14), t(16), t(18)),
        ...bringUp('app', t(18), t(20), t(22)),
        ...bringUp('lone', t(10), t(12), t(14)),
        ...networkUp(t(5)),
      ]);
      expect(stateOf(disasterDone).status).toBe('completed');
      given(disasterDone).when(closeCmd()).thenThrows('conflict', 'failback-required', { next: 'failback' });
      given(awaitingDisaster()).when(closeCmd()).thenThrows('conflict', 'wrong-status');
    });
  });

  describe('failback (disasters)', () => {
    const disasterDone = () =>
      play(awaitingDisaster({ window: always, estate: [server('dc')] }), [
        {
          type: 'ConfirmActivation',
          data: { email: carol.email, codeValid: true, authorisedPersons: authorised, at: t(1) },
        },
        ...restoreAll('dc', t(1), t(10)),
        ...bringUp('dc', t(10), t(12), t(14)),
        ...networkUp(t(5)),
      ]);

    // The failback's process (confirmation, reverse sync, cut-over, release): failback.decider.unit.spec.ts.
    it('refuses failback of a test, of a running disaster, and a failback not requested', () => {
      given(runningTest())
        .when(requestFailback(t(1)))
        .thenThrows('rule', 'failback-is-for-disasters');
      const running = play(awaitingDisaster({ window: always }), [
        {
          type: 'ConfirmActivation',
          data: { email: bob.email, codeValid: true, authorisedPersons: authorised, at: t(1) },
        },
      ]);
      given(running)
        .when(requestFailback(t(2)))
        .thenThrows('conflict', 'wrong-status');
      given(disasterDone())
        .when({ type: 'RecordFailback', data: { at: t(2) } })
        .thenThrows('conflict', 'failback-not-requested');
    });
  });

  it('commands on an activation that does not exist are 404', () => {
    given().when(abortLike()).thenThrows('not-found', 'activation-not-found');
  });

  it('no event ever carries a plaintext code', () => {
    const events: ActivationEvent[] = play(awaitingDisaster(), [
      {
        type: 'ConfirmActivation',
        data: { email: bob.email, codeValid: false, authorisedPersons: authorised, at: t(1) },
      },
    ]);
    const json = JSON.stringify(events);
    expect(json).not.toMatch(/"code"\s*:/);
    expect(json).toContain(codeHashFor(bob.email));
  });
});

function abortLike() {
  return { type: 'AbortActivation', data: { reason: 'x', by: alice, at: T0 } } as const;
}
