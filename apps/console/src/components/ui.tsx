import type { ReactNode } from 'react';
import { describeError } from '../api/client';
import { PHASE_WORDS, STATUS_WORDS } from '../words';
import type { ActivationStatus, ServerPhase } from '../api/types';

/** A server's phase: colour AND words (never colour alone). */
export function PhaseBadge({ phase }: { phase: ServerPhase }) {
  return (
    <span className={`badge phase-${phase}`}>
      <span aria-hidden="true" className="badge-icon">
        {PHASE_WORDS[phase].icon}
      </span>
      {PHASE_WORDS[phase].label}
    </span>
  );
}

export function StatusBadge({ status }: { status: ActivationStatus }) {
  const words = STATUS_WORDS[status] ?? { label: status, tone: 'neutral' };
  return <span className={`badge tone-${words.tone}`}>{words.label}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  return (
    <p role="alert" className="error">
      {describeError(error)}
    </p>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}

export function formatMinutes(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined) return '—';
  if (minutes < 60) return `${minutes.toFixed(1)} min`;
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes - h * 60);
  return `${h} h ${String(m).padStart(2, '0')} min`;
}
