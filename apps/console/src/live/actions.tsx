import type { ActivationView, Role } from '../api/types';
import { can } from '../session';

/**
 * The commands a person can send from the live view, each shown only when the activation's status
 * and the person's role allow it (the API decides; this only offers what can succeed). Each posts
 * `{reason}` to `POST /activations/:id/<path>`. Runbook sign-offs and the failback's own
 * confirmation are added here as the API offers them (runbook sign-offs live in `runbook-steps.tsx`, per step).
 */
export interface LiveAction {
  id: string;
  label: string;
  path: string;
  /** Asks for a reason in a dialog (required when `reasonRequired`). */
  reasonPrompt: string;
  reasonRequired?: boolean;
  danger?: boolean;
  when: (view: ActivationView, role: Role) => boolean;
}

export const LIVE_ACTIONS: LiveAction[] = [
  {
    id: 'abort',
    label: 'Abort…',
    path: 'abort',
    reasonPrompt: 'Why abort? Nothing new starts; running steps stop or are left recorded.',
    reasonRequired: true,
    danger: true,
    when: (v, role) =>
      can.drive(role) &&
      ['running', 'scheduled', 'alert', 'failback-awaiting-confirmation', 'failing-back'].includes(v.status),
  },
  {
    id: 'close',
    label: 'Close the test…',
    path: 'close',
    reasonPrompt:
      'Closing tears down everything the test created in the recovery space, verified against the cloud.',
    when: (v, role) =>
      can.closeTest(role) &&
      v.type === 'test' &&
      ['completed', 'completed-with-failures', 'aborted'].includes(v.status),
  },
  {
    id: 'stand-down',
    label: 'Stand down…',
    path: 'stand-down',
    reasonPrompt: 'The alert ends; pre-staged restores are discarded.',
    when: (v, role) => can.drive(role) && v.status === 'alert',
  },
  {
    id: 'override',
    label: 'Start now (emergency override)…',
    path: 'override',
    reasonPrompt:
      'The disaster waits for its activation window (its disks are pre-staged). Say why it cannot wait: another authorised person then confirms with their own code, and it starts at once.',
    reasonRequired: true,
    danger: true,
    when: (v, role) =>
      can.drive(role) &&
      v.type === 'disaster' &&
      v.status === 'scheduled' &&
      v.emergencyOverrideAllowed &&
      v.override?.status !== 'awaiting-confirmation',
  },
  {
    id: 'failback',
    label: 'Fail back…',
    path: 'failback',
    reasonPrompt:
      'Back to nominal once the original site is up: every server is synchronised back, then cut over (downstream first), and the recovery site is released last. Another authorised person confirms it with their one-time code.',
    danger: true,
    when: (v, role) =>
      can.drive(role) && v.type === 'disaster' && ['completed', 'completed-with-failures'].includes(v.status),
  },
];
