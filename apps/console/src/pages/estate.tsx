import { useQuery, type QueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { PROTECTION_CLASSES, SERVER_STATUSES } from '@reprise/domain/estate/server';
import { api } from '../api/client';
import type { ServerItem } from '../api/types';
import { ErrorNote, Loading, PageHeader, formatMinutes } from '../components/ui';
import { can, useUser } from '../session';
import { CLASS_WORDS } from '../words';

const OS_FAMILIES = ['windows', 'linux'] as const;
const OS_WORDS = { windows: 'Windows', linux: 'Linux' };

/** After any change to the estate: the server lists and the plan drawn from them are stale. */
export const invalidateEstate = (client: QueryClient) =>
  Promise.all([
    client.invalidateQueries({ queryKey: ['servers'] }),
    client.invalidateQueries({ queryKey: ['server'] }),
    client.invalidateQueries({ queryKey: ['plan'] }),
  ]);

export const serversQuery = (params: { protectionClass?: string; status?: string } = {}) => ({
  queryKey: ['servers', params],
  queryFn: () => {
    const q = new URLSearchParams({ limit: '10000' });
    if (params.protectionClass) q.set('protectionClass', params.protectionClass);
    if (params.status) q.set('status', params.status);
    return api<{ items: ServerItem[]; total: number }>(`/servers?${q}`);
  },
});

/** The estate: every protected server, filtered by class, OS and status (filters kept in the URL). */
export function EstatePage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const protectionClass = params.get('class') ?? '';
  const os = params.get('os') ?? '';
  const status = params.get('status') ?? 'active';
  const servers = useQuery(
    serversQuery({ protectionClass: protectionClass || undefined, status: status || undefined }),
  );
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
  };
  const rows = (servers.data?.items ?? []).filter((s) => !os || s.os.family === os);
  return (
    <>
      <PageHeader title="Estate">
        {can.editEstate(user.role) && (
          <>
            <Link className="button primary" to="/estate/new">
              Add a server
            </Link>
            <Link className="button" to="/estate/import">
              Import a CSV inventory
            </Link>
          </>
        )}
      </PageHeader>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Protection class
          <select value={protectionClass} onChange={(e) => set('class', e.target.value)}>
            <option value="">All classes</option>
            {PROTECTION_CLASSES.map((c) => (
              <option key={c} value={c}>
                {CLASS_WORDS[c]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Operating system
          <select value={os} onChange={(e) => set('os', e.target.value)}>
            <option value="">All systems</option>
            {OS_FAMILIES.map((f) => (
              <option key={f} value={f}>
                {OS_WORDS[f]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => set('status', e.target.value)}>
            <option value="">Any status</option>
            {SERVER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s[0].toUpperCase() + s.slice(1)}
              </option>
            ))}
          </select>
        </label>
        <p className="muted" role="status" aria-live="polite">
          {servers.data ? `${rows.length} server${rows.length === 1 ? '' : 's'}` : ''}
        </p>
      </form>
      {servers.isPending ? (
        <Loading what="the estate" />
      ) : servers.isError ? (
        <ErrorNote error={servers.error} />
      ) : rows.length === 0 ? (
        <p>No server matches these filters.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Protected servers</caption>
            <thead>
              <tr>
                <th scope="col">Hostname</th>
                <th scope="col">Operating system</th>
                <th scope="col">Class</th>
                <th scope="col">Status</th>
                <th scope="col">RTO</th>
                <th scope="col">RPO</th>
                <th scope="col">Recovery</th>
                <th scope="col">Depends on</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    <Link to={`/estate/${s.id}`}>{s.hostname}</Link>
                  </th>
                  <td>
                    {s.os.name} {s.os.version}
                  </td>
                  <td>{CLASS_WORDS[s.protectionClass]}</td>
                  <td>{s.status}</td>
                  <td>{formatMinutes(s.rtoMinutes)}</td>
                  <td>{formatMinutes(s.rpoMinutes)}</td>
                  <td>{s.recoveryMethod.replace(/-/g, ' ')}</td>
                  <td>{s.dependsOn.join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
