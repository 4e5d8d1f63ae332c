import type { ActivationStatus, ServerPhase } from '@reprise/domain/activation';

/** Each phase's words and symbol, shown beside its colour. */
export const PHASE_WORDS: Record<ServerPhase, { label: string; icon: string }> = {
  pending: { label: 'Pending', icon: '○' },
  restoring: { label: 'Restoring', icon: '↻' },
  restored: { label: 'Restored, waiting', icon: '◐' },
  booting: { label: 'Booting', icon: '▶' },
  checking: { label: 'Checking', icon: '⋯' },
  ok: { label: 'Available', icon: '✓' },
  warning: { label: 'Available with warning', icon: '!' },
  failed: { label: 'Failed', icon: '✕' },
  blocked: { label: 'Blocked', icon: '⊘' },
  cancelled: { label: 'Cancelled', icon: '–' },
};

type Tone = 'neutral' | 'active' | 'good' | 'warn' | 'bad';

export const STATUS_WORDS: Record<ActivationStatus, { label: string; tone: Tone }> = {
  'awaiting-confirmation': { label: 'Awaiting confirmation', tone: 'warn' },
  scheduled: { label: 'Scheduled', tone: 'neutral' },
  alert: { label: 'Alert (standby)', tone: 'warn' },
  running: { label: 'Running', tone: 'active' },
  completed: { label: 'Completed', tone: 'good' },
  'completed-with-failures': { label: 'Completed with failures', tone: 'bad' },
  aborted: { label: 'Aborted', tone: 'bad' },
  rejected: { label: 'Rejected', tone: 'bad' },
  'stood-down': { label: 'Stood down', tone: 'neutral' },
  closed: { label: 'Closed', tone: 'neutral' },
  'failback-awaiting-confirmation': { label: 'Failback awaiting confirmation', tone: 'warn' },
  'failing-back': { label: 'Failing back to the original site', tone: 'active' },
  'failed-back': { label: 'Failed back', tone: 'neutral' },
};

export const TYPE_WORDS: Record<string, string> = {
  test: 'DRP test',
  'restore-test': 'Restore test',
  disaster: 'Disaster failover',
  alert: 'Alert',
};

/** What an activation is called: its type, or its kind for a restore test (a test of its own kind). */
export const activationWords = (a: { type: string; kind?: unknown }): string =>
  a.kind === 'restore-test' ? TYPE_WORDS['restore-test'] : (TYPE_WORDS[a.type] ?? a.type);

export const CLASS_WORDS: Record<string, string> = {
  drp: 'DRP',
  'backup-with-tests': 'Backup with tests',
  'backup-only': 'Backup only',
};
