import type { ActivationCommand } from './activation.commands';
import type { ActivationEvent } from './activation.events';
import type { ActivationWindow } from './activation.types';
import { awaitsPerson, whatIsDue } from './activation.workflow';
import {
  alice,
  authorised,
  awaitingDisaster,
  bob,
  carol,
  confirmationAt,
  mallory,
  paris,
  restoreAll,
} from './testing/fixtures';
import { given, play, stateOf } from './testing/given-when-then';

/**
 * A disaster declared outside its business-hours window (issue 12 item 7): while `scheduled` its
 * disks are pre-staged, and where the contract allows it an authorised person starts it at once
 * with an emergency override, recorded with its reason, under four eyes.
 */
const FRIDAY_EVENING = '2024-06-07T17:00:00.000Z'; // 19:00 in Paris
const at = (minutes: number) => new Date(Date.parse(FRIDAY_EVENING) + minutes * 60_000).toISOString();
const MONDAY = '2024-06-10T06:00:00.000Z';
const allowing = { ...paris, emergencyOverride: true };

const confirm = (email: string, codeValid: boolean, when: string): ActivationCommand => ({
  type: 'ConfirmActivation',
  data: { email, codeValid, authorisedPersons: authorised, at: when },
});
const override = (
  when = at(20),
  by = carol,
  reason = 'ransomware: production is down',
): ActivationCommand => ({
  type: 'RequestEmergencyOverride',
  data: { reason, authorisedPersons: authorised, confirmation: confirmationAt(when), by, at: when },
});
const scheduled = (window: ActivationWindow = allowing): ActivationEvent[] =>
  play(awaitingDisaster({ at: FRIDAY_EVENING, window }), [confirm(bob.email, true, at(5))]);

describe('a disaster declared outside its window: pre-staged, and an emergency override', () => {
  it('waits scheduled with its disks pre-staged (restores due, no boot), the contract recorded with it', () => {
    const state = stateOf(scheduled());
    expect(state).toMatchObject({ status: 'scheduled', startsAt: MONDAY, window: allowing });
    expect(whatIsDue(state, at(6)).steps.every((s) => s.kind === 'restore')).toBe(true);
    const staged = stateOf(play(scheduled(), restoreAll('dc', at(6), at(30))));
    expect(staged.servers[0]).toMatchObject({ phase: 'restored', prestaged: true });
    expect(whatIsDue(staged, at(31)).steps.map((s) => s.kind)).not.toContain('boot');
  });

  it('an authorised person asks with a reason; another confirms with their own code: it starts at once and boots what was pre-staged', () => {
    const staged = play(scheduled(), restoreAll('dc', at(6), at(30)));
    const [asked] = given(staged).when(override()).thenTypes('EmergencyOverrideRequested');
    expect(asked.type === 'EmergencyOverrideRequested' && asked.data).toMatchObject({
      reason: 'ransomware: production is down',
      by: carol,
      confirmation: { recipients: [alice.email, bob.email], requestedBy: carol },
    });
    const waiting = stateOf([...staged, asked]);
    expect(waiting).toMatchObject({ status: 'scheduled', override: { status: 'awaiting-confirmation' } });
    expect(awaitsPerson(waiting)).toBe(true);
    given([...staged, asked])
      .when(confirm(carol.email, true, at(22)))
      .thenThrows('forbidden', 'four-eyes');
    given([...staged, asked])
      .when(confirm(mallory.email, true, at(22)))
      .thenThrows('forbidden', 'not-authorised-person');
    const events = given([...staged, asked])
      .when(confirm(alice.email, true, at(22)))
      .then([
        { type: 'EmergencyOverrideConfirmed', data: { by: alice, at: at(22) } },
        { type: 'ActivationStarted', data: { at: at(22) } },
      ]);
    const started = stateOf([...staged, asked, ...events]);
    expect(started).toMatchObject({
      status: 'running',
      launchedAt: at(22),
      startsAt: null,
      override: {
        status: 'confirmed',
        confirmedBy: { email: alice.email },
        reason: 'ransomware: production is down',
      },
    });
    expect(whatIsDue(started, at(31)).steps.map((s) => `${s.kind}:${s.serverId}`)).toContain('boot:id-dc');
    // the window's own timer no longer starts anything
    expect(whatIsDue(started, MONDAY).timers.map((t) => t.kind)).not.toContain('start-scheduled');
  });

  it('refuses where the contract does not allow it, outside `scheduled`, without a reason, from someone not authorised, or twice at once', () => {
    given(scheduled(paris)).when(override()).thenThrows('forbidden', 'override-not-allowed');
    given(awaitingDisaster({ at: FRIDAY_EVENING, window: allowing }))
      .when(override())
      .thenThrows('conflict', 'wrong-status');
    given(scheduled())
      .when(override(at(20), carol, '  '))
      .thenThrows('validation', 'reason-required');
    given(scheduled())
      .when(override(at(20), mallory))
      .thenThrows('forbidden', 'not-authorised-person');
    const asked = play(scheduled(), [override()]);
    given(asked)
      .when(override(at(21)))
      .thenThrows('conflict', 'override-pending');
  });

  it('a rejected override (expired or five wrong codes) leaves it scheduled for its window; it may be asked again', () => {
    const asked = play(scheduled(), [override()]);
    const state = stateOf(asked);
    const expiresAt = state.confirmation!.expiresAt;
    const due = whatIsDue(state, expiresAt);
    expect(due.timers).toEqual([expect.objectContaining({ kind: 'expire-confirmation', at: expiresAt })]);
    expect(whatIsDue(state, at(21)).nextTimerAt).toBe(expiresAt);
    const expired = given(asked)
      .when({ type: 'ExpireConfirmation', data: { at: expiresAt } })
      .then([{ type: 'EmergencyOverrideRejected', data: { reason: 'confirmation-expired', at: expiresAt } }]);
    const after = stateOf([...asked, ...expired]);
    expect(after).toMatchObject({ status: 'scheduled', startsAt: MONDAY, override: { status: 'rejected' } });
    expect(awaitsPerson(after)).toBe(false);
    expect(whatIsDue(after, MONDAY).timers.map((t) => t.kind)).toEqual(['start-scheduled']);

    let wrong = asked;
    for (let i = 0; i < 4; i++) wrong = play(wrong, [confirm(bob.email, false, at(21 + i))]);
    given(wrong)
      .when(confirm(bob.email, false, at(26)))
      .thenTypes('ConfirmationAttemptFailed', 'EmergencyOverrideRejected');
    given([...asked, ...expired])
      .when(override(at(60)))
      .thenTypes('EmergencyOverrideRequested');
  });
});
