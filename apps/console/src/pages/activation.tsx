import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, describeError } from '../api/client';
import type { ActivationServerView, ActivationView } from '../api/types';
import { FormDialog } from '../components/dialog';
import {
  ErrorNote,
  Loading,
  PageHeader,
  PhaseBadge,
  StatusBadge,
  formatMinutes,
  formatTime,
} from '../components/ui';
import { DependencyGraph } from '../graph/dependency-graph';
import { LIVE_ACTIONS, type LiveAction } from '../live/actions';
import { projectFold, type LiveProjection } from '../live/fold';
import { Gantt } from '../live/gantt';
import { RunbookStepsPanel } from '../live/runbook-steps';
import { useActivationStream, type Connection } from '../live/use-activation-stream';
import { can, useUser } from '../session';
import { activationWords } from '../words';

const CONNECTION_WORDS: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: '● Live',
  reconnecting: 'Reconnecting…',
  ended: 'Final: no more changes',
  failed: 'Disconnected',
};

/** What a four-eyes confirmation confirms: the failover, a widening of it, an emergency override, or the failback. */
interface ConfirmSubject {
  requester: { name: string; email: string };
  what: string;
  action: string;
  expiresAt: string | null;
}

function confirmSubject(v: ActivationView): ConfirmSubject | null {
  const widening = v.widenings.find((w) => w.status === 'awaiting-confirmation');
  if (widening && ['running', 'completed', 'completed-with-failures'].includes(v.status))
    return {
      requester: widening.requestedBy,
      what: `widening this failover to ${widening.servers.join(', ')}`,
      action: 'Confirm the widening',
      expiresAt: widening.expiresAt,
    };
  if (v.status === 'scheduled' && v.override?.status === 'awaiting-confirmation')
    return {
      requester: v.override.by,
      what: `starting this failover now, outside its window (${v.override.reason})`,
      action: 'Confirm the emergency start',
      expiresAt: v.override.expiresAt,
    };
  // A failback is confirmed like the failover: by another authorised person than its requester.
  if (v.status === 'failback-awaiting-confirmation')
    return {
      requester: v.failback?.requestedBy ?? v.requestedBy,
      what: 'the failback to the original site',
      action: 'Confirm the failback',
      expiresAt: v.confirmationExpiresAt,
    };
  if (v.status === 'awaiting-confirmation')
    return {
      requester: v.requestedBy,
      what: 'this failover',
      action: 'Confirm the failover',
      expiresAt: v.confirmationExpiresAt,
    };
  return null;
}

/** Awaiting a confirmation: another authorised person types the code they received. */
function ConfirmPanel({ view, subject }: { view: ActivationView; subject: ConfirmSubject }) {
  const user = useUser();
  const [open, setOpen] = useState(false);
  const confirm = useMutation({
    mutationFn: (code: string) =>
      // The confirmer is the signed-in person (the API takes them from the session): only the code.
      api(`/activations/${view.id}/confirm`, { body: { code } }),
    onSuccess: () => setOpen(false),
  });
  const isRequester = subject.requester.email.toLowerCase() === user.email.toLowerCase();
  return (
    <section className="panel attention" aria-labelledby="confirm-title">
      <h2 id="confirm-title">Waiting for a second authorised person</h2>
      <p>
        {subject.requester.name} ({subject.requester.email}) requested {subject.what}. Each authorised person
        received their own one-time code; another one of them confirms it here, signed in as themselves
        {subject.expiresAt ? `, before ${formatTime(subject.expiresAt)}` : ''}.
      </p>
      {isRequester ? (
        <p className="muted">You requested it, so you cannot confirm it.</p>
      ) : (
        can.drive(user.role) && (
          <button type="button" className="danger" onClick={() => setOpen(true)}>
            {subject.action}…
          </button>
        )
      )}
      <FormDialog
        open={open}
        title={subject.action}
        submitLabel={subject.action}
        danger
        busy={confirm.isPending}
        onSubmit={(form) => confirm.mutate(String(form.get('code') ?? '').trim())}
        onClose={() => setOpen(false)}
      >
        <p>
          You confirm as <strong>{user.name}</strong> ({user.email}). Type the one-time code <em>you</em>{' '}
          received.
        </p>
        <label>
          Your one-time code
          <input name="code" autoComplete="one-time-code" required autoFocus spellCheck={false} />
        </label>
        {confirm.isError && (
          <p role="alert" className="error">
            {describeError(confirm.error)}
          </p>
        )}
      </FormDialog>
    </section>
  );
}

/** Widen a live failover: more servers (their upstream dependencies come with them), under four eyes. */
function WidenScope({ view }: { view: ActivationView }) {
  const user = useUser();
  const [open, setOpen] = useState(false);
  const widen = useMutation({
    mutationFn: ({ servers, reason }: { servers: string[] | 'full'; reason: string }) =>
      api(`/activations/${view.id}/scope`, { body: reason ? { servers, reason } : { servers } }),
    onSuccess: () => setOpen(false),
  });
  const widenable =
    can.drive(user.role) &&
    view.type === 'disaster' &&
    ['running', 'completed', 'completed-with-failures'].includes(view.status) &&
    !view.widenings.some((w) => w.status === 'awaiting-confirmation');
  if (!widenable) return null;
  return (
    <div className="page-actions">
      <button type="button" onClick={() => (widen.reset(), setOpen(true))}>
        Widen the failover…
      </button>
      <FormDialog
        open={open}
        title="Widen the failover"
        submitLabel="Ask for confirmation"
        busy={widen.isPending}
        onSubmit={(form) => {
          const names = String(form.get('servers') ?? '')
            .split(/[\s,]+/)
            .filter(Boolean);
          const servers = names.length === 1 && names[0] === 'full' ? 'full' : names;
          widen.mutate({ servers, reason: String(form.get('reason') ?? '').trim() });
        }}
        onClose={() => setOpen(false)}
      >
        <p>
          The servers you name join this failover with their upstream dependencies, once another authorised
          person confirms with their own code. What already runs goes on meanwhile.
        </p>
        <label>
          Servers (hostnames separated by commas, or <code>full</code>)
          <input name="servers" required autoFocus spellCheck={false} />
        </label>
        <label>
          Reason (optional)
          <input name="reason" />
        </label>
        {widen.isError && (
          <p role="alert" className="error">
            {describeError(widen.error)}
          </p>
        )}
      </FormDialog>
    </div>
  );
}

function ActionBar({ view }: { view: ActivationView }) {
  const user = useUser();
  const [action, setAction] = useState<LiveAction | null>(null);
  const send = useMutation({
    mutationFn: ({ a, reason }: { a: LiveAction; reason: string }) =>
      api(`/activations/${view.id}/${a.path}`, { body: reason ? { reason } : {} }),
    onSuccess: () => setAction(null),
  });
  const offered = LIVE_ACTIONS.filter((a) => a.when(view, user.role));
  if (!offered.length) return null;
  return (
    <div className="page-actions">
      {offered.map((a) => (
        <button
          key={a.id}
          type="button"
          className={a.danger ? 'danger' : ''}
          onClick={() => (send.reset(), setAction(a))}
        >
          {a.label}
        </button>
      ))}
      {send.isError && !action && <ErrorNote error={send.error} />}
      <FormDialog
        open={action !== null}
        title={action?.label.replace('…', '') ?? ''}
        submitLabel={action?.label.replace('…', '') ?? ''}
        danger={action?.danger}
        busy={send.isPending}
        onSubmit={(form) =>
          action && send.mutate({ a: action, reason: String(form.get('reason') ?? '').trim() })
        }
        onClose={() => setAction(null)}
      >
        <p>{action?.reasonPrompt}</p>
        <label>
          Reason{action?.reasonRequired ? '' : ' (optional)'}
          <input name="reason" required={action?.reasonRequired} />
        </label>
        {send.isError && (
          <p role="alert" className="error">
            {describeError(send.error)}
          </p>
        )}
      </FormDialog>
    </div>
  );
}

const GIB = 2 ** 30;

/** The way back to the original site: each server's phase, data sent back, and what is left at the recovery site. */
function FailbackPanel({ view }: { view: ActivationView }) {
  const fb = view.failback;
  if (!fb || !fb.confirmedBy) return null;
  return (
    <section className="panel" aria-labelledby="failback-title">
      <h2 id="failback-title">Failback to the original site</h2>
      <p>
        {fb.dataReturnedGiB} GiB sent back · data loss {fb.dataLossGiB} GiB
        {fb.downtimeMinutes !== null ? ` · cut-over downtime ${formatMinutes(fb.downtimeMinutes)}` : ''}
        {fb.outcome ? ` · ${fb.outcome}` : ''}
      </p>
      {fb.left.length > 0 && (
        <p role="status">
          Still at the recovery site: {fb.left.map((l) => `${l.hostname} (${l.reason})`).join('; ')}
        </p>
      )}
      {fb.reconnectFailure && (
        <p role="alert">
          Users are not reconnected to the original site: {fb.reconnectFailure.reason}. The recovery site is
          kept running.
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>Server</th>
            <th>Failback phase</th>
            <th>Sent back</th>
            <th>Left to send</th>
          </tr>
        </thead>
        <tbody>
          {fb.servers.map((x) => (
            <tr key={x.serverId}>
              <td>{x.hostname}</td>
              <td>{x.phase}</td>
              <td>{x.dataReturnedGiB} GiB</td>
              <td>{x.pendingBytes === null ? '—' : `${(x.pendingBytes / GIB).toFixed(1)} GiB`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Failed and blocked servers with their reasons; a failed server can be retried (with what it blocked). */
function Problems({ view }: { view: ActivationView }) {
  const user = useUser();
  const retry = useMutation({
    mutationFn: (s: ActivationServerView) =>
      api(`/activations/${view.id}/servers/${s.serverId}/retry`, { body: {} }),
  });
  const failed = view.servers.filter((s) => s.phase === 'failed');
  const blocked = view.servers.filter((s) => s.phase === 'blocked');
  if (!failed.length && !blocked.length) return null;
  const canRetry = can.drive(user.role) && ['running', 'completed-with-failures'].includes(view.status);
  return (
    <section className="panel problems" aria-labelledby="problems-title">
      <h2 id="problems-title">
        Problems: {failed.length} failed, {blocked.length} blocked
      </h2>
      <ul>
        {failed.map((s) => (
          <li key={s.serverId}>
            <PhaseBadge phase={s.phase} /> <strong>{s.hostname}</strong>: {s.failure?.step} failed (attempt{' '}
            {s.attempt}) — {s.failure?.reason ?? s.detail}
            {canRetry && (
              <button type="button" onClick={() => retry.mutate(s)} disabled={retry.isPending}>
                Retry {s.hostname}
              </button>
            )}
          </li>
        ))}
        {blocked.map((s) => (
          <li key={s.serverId}>
            <PhaseBadge phase={s.phase} /> <strong>{s.hostname}</strong>: blocked by {s.blockedBy} —{' '}
            {s.detail}
          </li>
        ))}
      </ul>
      {retry.isError && <ErrorNote error={retry.error} />}
    </section>
  );
}

function Kpis({ p }: { p: LiveProjection }) {
  const v = p.view;
  const available = v.counts.ok + v.counts.warning;
  const targets = v.servers.map((s) => s.rtoMinutes).filter((m): m is number => m !== null);
  const worstTarget = targets.length ? Math.min(...targets) : null;
  const projected = v.rto.projectedLastServerMinutes;
  return (
    <dl className="kpis">
      <div>
        <dt>Available</dt>
        <dd data-testid="available-count">
          {available} / {v.servers.length}
        </dd>
      </div>
      <div>
        <dt>Failed / blocked</dt>
        <dd className={v.counts.failed + v.counts.blocked ? 'bad' : ''}>
          {v.counts.failed} / {v.counts.blocked}
        </dd>
      </div>
      <div>
        <dt>Elapsed</dt>
        <dd>{v.launchedAt ? formatMinutes(p.nowMinutes) : 'not launched'}</dd>
      </div>
      <div>
        <dt>First / last server up</dt>
        <dd>
          {formatMinutes(v.rto.firstServerAvailableAfterMinutes)} /{' '}
          {formatMinutes(v.rto.lastServerAvailableAfterMinutes)}
        </dd>
      </div>
      <div>
        <dt>Projected end</dt>
        <dd className={projected !== null && worstTarget !== null && projected > worstTarget ? 'warn' : ''}>
          {projected === null ? '—' : formatMinutes(projected)}
        </dd>
      </div>
    </dl>
  );
}

function ServerTable({ view }: { view: ActivationView }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Servers of the activation</caption>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">Phase</th>
            <th scope="col">Available after</th>
            <th scope="col">RTO target</th>
            <th scope="col">RTO</th>
            <th scope="col">RPO achieved</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {view.servers.map((s) => (
            <tr key={s.serverId} data-server={s.hostname}>
              <th scope="row">{s.hostname}</th>
              <td>
                <PhaseBadge phase={s.phase} />
              </td>
              <td>{formatMinutes(s.availableAfterMinutes)}</td>
              <td>{formatMinutes(s.rtoMinutes)}</td>
              <td>{s.rtoMet === null ? '—' : s.rtoMet ? '✓ met' : '✕ missed'}</td>
              <td>{formatMinutes(s.rpoMinutes)}</td>
              <td>{s.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The live view of one activation: everything is folded from its event stream (SSE), so the page
 * changes as the engine records each fact, without reload.
 */
export function ActivationPage() {
  const { id = '' } = useParams();
  const exists = useQuery({
    queryKey: ['activation', id, 'exists'],
    queryFn: () => api(`/activations/${id}`),
    staleTime: Infinity,
  });
  const { fold, connection, reconnect } = useActivationStream(id);
  const p = useMemo(() => projectFold(fold), [fold]);
  // The graph only changes when the scope does (request, escalation), not on every event.
  const scopeKey = JSON.stringify(p?.view.servers.map((s) => [s.hostname, s.dependsOn]) ?? []);
  const nodes = useMemo(
    () => (JSON.parse(scopeKey) as Array<[string, string[]]>).map(([id, dependsOn]) => ({ id, dependsOn })),
    [scopeKey],
  );
  if (exists.isError) return <ErrorNote error={exists.error} />;
  if (!p) return <Loading what="the activation" />;
  const v = p.view;
  const phaseOf = new Map(v.servers.map((s) => [s.hostname, s.phase]));
  const subject = confirmSubject(v);
  return (
    <>
      <PageHeader title={`${activationWords(v)} ${v.id.slice(0, 8)}`}>
        <ActionBar view={v} />
        <Link className="button" to={`/reports/${v.id}`}>
          Report
        </Link>
      </PageHeader>
      <p className="status-line">
        <StatusBadge status={v.status} />{' '}
        <span className={`connection conn-${connection}`} role="status" data-testid="connection">
          {CONNECTION_WORDS[connection]}
        </span>
        {connection === 'failed' && (
          <button type="button" onClick={reconnect}>
            Reconnect
          </button>
        )}{' '}
        <span className="muted">
          Requested by {v.requestedBy.name} {formatTime(v.requestedAt)}
          {v.confirmedBy ? `; confirmed by ${v.confirmedBy.name}` : ''}
          {v.launchedAt ? `; launched ${formatTime(v.launchedAt)}` : ''}
          {v.reason ? ` — ${v.reason}` : ''}
          {v.endReason ? ` — ended: ${v.endReason}` : ''}
        </span>
      </p>
      {subject && <ConfirmPanel view={v} subject={subject} />}
      <FailbackPanel view={v} />
      {v.status === 'scheduled' && v.startsAt && (
        <p className="panel">
          Confirmed outside the activation window: starts by itself at {formatTime(v.startsAt)}; its disks are
          pre-staged meanwhile.
        </p>
      )}
      <WidenScope view={v} />
      <Kpis p={p} />
      <Problems view={v} />
      <RunbookStepsPanel view={v} />
      <section aria-labelledby="graph-title">
        <h2 id="graph-title">Servers by dependency level</h2>
        <DependencyGraph label="Activation graph" nodes={nodes} phaseOf={(h) => phaseOf.get(h)} />
      </section>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Gantt
          rows={p.rows}
          nowMinutes={p.nowMinutes}
          projectedEndMinutes={v.rto.projectedLastServerMinutes}
          running={v.status === 'running'}
        />
      </section>
      <section aria-labelledby="servers-title">
        <h2 id="servers-title">Servers</h2>
        <ServerTable view={v} />
      </section>
    </>
  );
}
