import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { ComplianceEntry, TestSchedule } from '../api/types';
import { ErrorNote, Loading, PageHeader, formatTime } from '../components/ui';
import { can, useUser } from '../session';
import { CLASS_WORDS } from '../words';

const KIND_WORDS = {
  'drp-test': 'DRP test (whole perimeter)',
  'restore-test': 'Restore test (backup-with-tests servers)',
};

function dueWords(e: ComplianceEntry): { label: string; tone: string } {
  if (e.nextDueAt === null) return { label: 'Not required', tone: 'neutral' };
  if (e.overdue) return { label: '✕ Overdue', tone: 'bad' };
  if (e.dueSoon) return { label: '! Due soon', tone: 'warn' };
  return { label: '✓ Up to date', tone: 'good' };
}

function ScheduleForm() {
  const client = useQueryClient();
  const [kind, setKind] = useState<'drp-test' | 'restore-test'>('drp-test');
  const create = useMutation({
    mutationFn: (scheduledFor: string) => api('/test-schedules', { body: { kind, scheduledFor } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['test-schedules'] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const local = String(new FormData(event.currentTarget).get('when'));
    create.mutate(new Date(local).toISOString());
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Plan a test">
      <label>
        Test
        <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
          {Object.entries(KIND_WORDS).map(([k, w]) => (
            <option key={k} value={k}>
              {w}
            </option>
          ))}
        </select>
      </label>
      <label>
        Starts at <span className="hint">(at least 30 days ahead)</span>
        <input name="when" type="datetime-local" required />
      </label>
      <button type="submit" className="primary" disabled={create.isPending}>
        Plan the test
      </button>
      {create.isError && <ErrorNote error={create.error} />}
      {create.isSuccess && <p role="status">Planned.</p>}
    </form>
  );
}

/** The test schedule and each server's next due date; overdue servers in red and in words. */
export function CompliancePage() {
  const user = useUser();
  const client = useQueryClient();
  const schedules = useQuery({
    queryKey: ['test-schedules'],
    queryFn: () => api<{ items: TestSchedule[] }>('/test-schedules'),
  });
  const compliance = useQuery({
    queryKey: ['compliance'],
    queryFn: () => api<{ asOf: string; servers: ComplianceEntry[] }>('/compliance'),
  });
  const cancel = useMutation({
    mutationFn: (s: TestSchedule) => api(`/test-schedules/${s.id}`, { method: 'DELETE', body: {} }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['test-schedules'] }),
  });
  const overdue = compliance.data?.servers.filter((s) => s.overdue).length ?? 0;
  return (
    <>
      <PageHeader title="Tests and compliance" />
      <section aria-labelledby="schedule-title">
        <h2 id="schedule-title">Schedule</h2>
        {can.schedule(user.role) && <ScheduleForm />}
        {schedules.isPending ? (
          <Loading what="the schedule" />
        ) : schedules.isError ? (
          <ErrorNote error={schedules.error} />
        ) : schedules.data.items.length === 0 ? (
          <p>No test planned.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Test</th>
                  <th scope="col">Status</th>
                  <th scope="col">Planned by</th>
                  <th scope="col" className="sr-only-text">
                    Actions
                  </th>
                </tr>
              </thead>
              <tbody>
                {schedules.data.items.map((s) => (
                  <tr key={s.id}>
                    <td>{formatTime(s.scheduledFor)}</td>
                    <td>{KIND_WORDS[s.kind] ?? s.kind}</td>
                    <td>
                      {s.status}
                      {s.activationId && (
                        <>
                          {' '}
                          <Link to={`/activations/${s.activationId}`}>live view</Link>
                        </>
                      )}
                      {s.failureReason && <span className="error"> — {s.failureReason}</span>}
                    </td>
                    <td>{s.origin === 'cadence' ? 'default cadence' : (s.origin ?? '—')}</td>
                    <td>
                      {can.schedule(user.role) && s.status === 'planned' && (
                        <button type="button" onClick={() => cancel.mutate(s)} disabled={cancel.isPending}>
                          Cancel
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {cancel.isError && <ErrorNote error={cancel.error} />}
      </section>
      <section aria-labelledby="compliance-title">
        <h2 id="compliance-title">
          Compliance{' '}
          {compliance.data && (
            <span className={`badge ${overdue ? 'tone-bad' : 'tone-good'}`}>
              {overdue ? `✕ ${overdue} server${overdue === 1 ? '' : 's'} overdue` : '✓ nothing overdue'}
            </span>
          )}
        </h2>
        {compliance.isPending ? (
          <Loading what="compliance" />
        ) : compliance.isError ? (
          <ErrorNote error={compliance.error} />
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Server</th>
                  <th scope="col">Class</th>
                  <th scope="col">Last tested</th>
                  <th scope="col">Next due</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {[...compliance.data.servers]
                  .sort(
                    (a, b) =>
                      Number(b.overdue) - Number(a.overdue) ||
                      String(a.nextDueAt).localeCompare(String(b.nextDueAt)),
                  )
                  .map((e) => {
                    const due = dueWords(e);
                    return (
                      <tr key={e.serverId} className={e.overdue ? 'row-bad' : ''}>
                        <th scope="row">{e.hostname}</th>
                        <td>{CLASS_WORDS[e.protectionClass]}</td>
                        <td>{formatTime(e.lastTestedAt)}</td>
                        <td>{formatTime(e.nextDueAt)}</td>
                        <td>
                          <span className={`badge tone-${due.tone}`}>{due.label}</span>
                        </td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
