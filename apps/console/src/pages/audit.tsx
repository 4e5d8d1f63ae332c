import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { ActivationView, AuditEvent, AuditVerification } from '../api/types';
import type { RecordedEventView } from '../live/fold';
import { ErrorNote, Loading, PageHeader, PhaseBadge, StatusBadge, formatTime } from '../components/ui';
import { activationWords } from '../words';
import { activationsQuery } from './activations';

const PAGE = 100;

/** A value that follows `value` once it has stopped changing for `ms`. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** Replays one activation at any recorded instant (`GET /activations/:id?asOf=`). */
function Replay() {
  const list = useQuery(activationsQuery());
  const [id, setId] = useState('');
  const activationId = id || list.data?.items[0]?.id || '';
  const events = useQuery({
    queryKey: ['activation', activationId, 'events'],
    queryFn: () => api<RecordedEventView[]>(`/activations/${activationId}/events`),
    enabled: !!activationId,
  });
  const count = events.data?.length ?? 0;
  const [position, setPosition] = useState<number | null>(null);
  const index = position === null ? count - 1 : Math.min(position, count - 1);
  const event = events.data?.[index];
  const asOf = useSettled(event?.at ?? null, 150);
  const state = useQuery({
    queryKey: ['activation', activationId, 'asOf', asOf],
    queryFn: () => api<ActivationView>(`/activations/${activationId}?asOf=${encodeURIComponent(asOf!)}`),
    enabled: !!activationId && !!asOf,
    placeholderData: keepPreviousData,
  });
  return (
    <section aria-labelledby="replay-title" className="panel">
      <h2 id="replay-title">Replay an activation</h2>
      {list.isError && <ErrorNote error={list.error} />}
      <label htmlFor="replay-activation">Activation</label>
      <select
        id="replay-activation"
        value={activationId}
        onChange={(e) => {
          setId(e.target.value);
          setPosition(null);
        }}
      >
        {(list.data?.items ?? []).map((a) => (
          <option key={a.id} value={a.id}>
            {activationWords(a)} {a.id.slice(0, 8)} — {a.status}
          </option>
        ))}
      </select>
      {events.isError && <ErrorNote error={events.error} />}
      {count > 0 && event && (
        <>
          <label className="slider">
            Instant: event {index + 1} of {count}
            <input
              type="range"
              min={0}
              max={count - 1}
              step={1}
              value={index}
              onChange={(e) => setPosition(Number(e.target.value))}
              aria-valuetext={`event ${index + 1} of ${count}: ${event.type} at ${formatTime(event.at)}`}
            />
          </label>
          <p data-testid="replay-instant">
            <time dateTime={event.at}>{formatTime(event.at)}</time> — <code>{event.type}</code>
            {event.actor ? ` by ${event.actor}` : ''}
          </p>
        </>
      )}
      {state.isError && <ErrorNote error={state.error} />}
      {state.data && (
        <div aria-live="polite" data-testid="replay-state" data-as-of={asOf ?? ''}>
          <p>
            State as of this instant: <StatusBadge status={state.data.status} />{' '}
            {state.isFetching && <span className="muted">(updating…)</span>}
          </p>
          <ul className="phase-list">
            {state.data.servers.map((s) => (
              <li key={s.serverId}>
                {s.hostname} <PhaseBadge phase={s.phase} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

/** The tenant's hash-chained history, its verification, and the replay of any activation. */
export function AuditPage() {
  const verify = useQuery({
    queryKey: ['audit', 'verify'],
    queryFn: () => api<AuditVerification>('/audit/verify'),
  });
  const history = useInfiniteQuery({
    queryKey: ['audit', 'events'],
    initialPageParam: -1,
    queryFn: ({ pageParam }) =>
      api<{ items: AuditEvent[]; nextAfter: number | null }>(
        `/audit/events?limit=${PAGE}${pageParam >= 0 ? `&after=${pageParam}` : ''}`,
      ),
    getNextPageParam: (last) => last.nextAfter ?? undefined,
  });
  const items = history.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Audit">
        <button type="button" onClick={() => verify.refetch()} disabled={verify.isFetching}>
          {verify.isFetching ? 'Verifying…' : 'Verify again'}
        </button>
      </PageHeader>
      <section aria-labelledby="verify-title" className="panel" aria-live="polite">
        <h2 id="verify-title">Verification</h2>
        {verify.isPending ? (
          <Loading what="the verification" />
        ) : verify.isError ? (
          <ErrorNote error={verify.error} />
        ) : verify.data.valid ? (
          <p data-testid="verify-result">
            <span className="badge tone-good">✓ Valid</span> {verify.data.checkedEvents} events checked: the
            history was not altered.
          </p>
        ) : (
          <p data-testid="verify-result">
            <span className="badge tone-bad">✕ Altered</span> the chain breaks at event{' '}
            {verify.data.firstInvalidSeq}
            {verify.data.reason ? `: ${verify.data.reason}` : ''} ({verify.data.checkedEvents} checked).
          </p>
        )}
      </section>
      <Replay />
      <section aria-labelledby="events-title">
        <h2 id="events-title">Event history</h2>
        {history.isPending ? (
          <Loading what="the history" />
        ) : history.isError ? (
          <ErrorNote error={history.error} />
        ) : (
          <>
            <div className="table-wrap">
              <table className="events">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Recorded</th>
                    <th scope="col">Type</th>
                    <th scope="col">Stream</th>
                    <th scope="col">By</th>
                    <th scope="col">Hash</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr key={e.seq}>
                      <td>{e.seq}</td>
                      <td>{formatTime(e.at)}</td>
                      <td>
                        <code>{e.type}</code>
                      </td>
                      <td className="mono small">{e.stream.replace(/^tenant\/[^/]+\//, '')}</td>
                      <td>{e.actor ?? ''}</td>
                      <td className="mono small" title={e.hash}>
                        {e.hash.slice(0, 12)}…
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {history.hasNextPage && (
              <button
                type="button"
                onClick={() => history.fetchNextPage()}
                disabled={history.isFetchingNextPage}
              >
                {history.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            )}
          </>
        )}
      </section>
    </>
  );
}
