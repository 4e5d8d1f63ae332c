import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import type { HistoryEntry, ServerItem } from '../api/types';
import { ErrorNote, Loading, PageHeader, formatMinutes, formatTime } from '../components/ui';
import { can, useUser } from '../session';
import { CLASS_WORDS } from '../words';

export const serverQuery = (id: string) => ({
  queryKey: ['server', id],
  queryFn: () => api<ServerItem>(`/servers/${encodeURIComponent(id)}`),
});

/** One line per recorded change: the event's type in words and what it carried. */
function describeChange(entry: HistoryEntry): string {
  const words = entry.type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const data = { ...entry.data };
  for (const key of ['serverId', 'tenantId', 'at']) delete data[key];
  const summary = Object.entries(data)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('; ');
  return summary ? `${words} — ${summary}` : words;
}

/** A server: what is recorded about it now, and its whole history. */
export function ServerPage() {
  const { id = '' } = useParams();
  const user = useUser();
  const server = useQuery(serverQuery(id));
  const history = useQuery({
    queryKey: ['server', id, 'history'],
    queryFn: () => api<HistoryEntry[]>(`/servers/${encodeURIComponent(id)}/history`),
  });
  if (server.isPending) return <Loading what="the server" />;
  if (server.isError) return <ErrorNote error={server.error} />;
  const s = server.data;
  return (
    <>
      <PageHeader title={s.hostname}>
        {can.editEstate(user.role) && s.status === 'active' && (
          <Link className="button primary" to={`/estate/${s.id}/edit`}>
            Edit
          </Link>
        )}
        <Link className="button" to="/estate">
          Back to the estate
        </Link>
      </PageHeader>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{s.status}</dd>
        <dt>Protection class</dt>
        <dd>{CLASS_WORDS[s.protectionClass]}</dd>
        <dt>Operating system</dt>
        <dd>
          {s.os.name} {s.os.version} ({s.os.family})
        </dd>
        <dt>Machine</dt>
        <dd>
          {s.kind}, {s.platform}, backup {s.backupMode}
        </dd>
        <dt>Template</dt>
        <dd>
          {s.template.vcpu} vCPU, {s.template.ramGiB} GiB RAM
        </dd>
        <dt>Disks</dt>
        <dd>{s.disks.map((d) => `${d.name} ${d.sizeGiB} GiB`).join(', ')}</dd>
        <dt>Applications</dt>
        <dd>{s.applications.map((a) => `${a.kind} ${a.version}`).join(', ') || '—'}</dd>
        <dt>Depends on</dt>
        <dd>{s.dependsOn.join(', ') || '—'}</dd>
        <dt>RTO / RPO</dt>
        <dd>
          {formatMinutes(s.rtoMinutes)} / {formatMinutes(s.rpoMinutes)}
        </dd>
        <dt>Recovery method</dt>
        <dd>{s.recoveryMethod.replace(/-/g, ' ')}</dd>
        <dt>Enrolled</dt>
        <dd>{formatTime(s.enrolledAt)}</dd>
        <dt>Version</dt>
        <dd>{s.version}</dd>
      </dl>
      <section aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        {history.isPending ? (
          <Loading what="the history" />
        ) : history.isError ? (
          <ErrorNote error={history.error} />
        ) : (
          <ol className="history">
            {history.data.map((h) => (
              <li key={h.seq}>
                <time dateTime={h.at}>{formatTime(h.at)}</time> <span>{describeChange(h)}</span>
                {h.actor && <span className="muted"> by {h.actor}</span>}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
