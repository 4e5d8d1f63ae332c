import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { API_BASE, api } from '../api/client';
import type { ActivationReport } from '../api/types';
import { ActivationTable } from '../components/activation-table';
import {
  ErrorNote,
  Loading,
  PageHeader,
  PhaseBadge,
  StatusBadge,
  formatMinutes,
  formatTime,
} from '../components/ui';
import { activationWords } from '../words';
import { activationsQuery } from './activations';

/** Past tests: launch, close and the availability delay of the last server. */
export function ReportsPage() {
  const list = useQuery(activationsQuery('test'));
  return (
    <>
      <PageHeader title="Test reports" />
      {list.isPending ? (
        <Loading what="the tests" />
      ) : list.isError ? (
        <ErrorNote error={list.error} />
      ) : list.data.items.length === 0 ? (
        <p>No test yet.</p>
      ) : (
        <ActivationTable
          items={list.data.items}
          caption="DRP tests, newest first"
          link={(a) => ({ to: `/reports/${a.id}`, label: `Report ${a.id.slice(0, 8)}` })}
        />
      )}
    </>
  );
}

/** One report, laid out for reading and for print (the print style drops the navigation). */
export function ReportPage() {
  const { id = '' } = useParams();
  const report = useQuery({
    queryKey: ['report', id],
    queryFn: () => api<ActivationReport>(`/activations/${id}/report`),
    refetchInterval: (q) => (q.state.data && !q.state.data.final ? 5_000 : false),
  });
  if (report.isPending) return <Loading what="the report" />;
  if (report.isError) return <ErrorNote error={report.error} />;
  const r = report.data;
  const s = r.summary;
  return (
    <article className="report">
      <PageHeader title={`${activationWords(r)} report — ${r.customerNumber} (${r.domain})`}>
        <button type="button" className="primary no-print" onClick={() => window.print()}>
          Print
        </button>
        <a
          className="button no-print"
          href={`${API_BASE}/activations/${id}/report?format=html`}
          target="_blank"
          rel="noreferrer"
        >
          Printable HTML with timeline
        </a>
        <Link className="button no-print" to={`/activations/${id}`}>
          Live view
        </Link>
      </PageHeader>
      {!r.final && (
        <p className="panel attention">Provisional: this activation can still change (status {r.status}).</p>
      )}
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={r.status} />
        </dd>
        <dt>Requested</dt>
        <dd>
          {formatTime(r.requestedAt)} by {r.requestedBy.name} ({r.requestedBy.email})
        </dd>
        <dt>Reason</dt>
        <dd>{r.reason ?? '—'}</dd>
        <dt>Launched</dt>
        <dd>{formatTime(r.launchedAt)}</dd>
        <dt>Closed</dt>
        <dd>{formatTime(r.closedAt)}</dd>
        <dt>First server available after</dt>
        <dd>{formatMinutes(r.firstServerAvailableAfterMinutes)}</dd>
        <dt>Last server available after</dt>
        <dd data-testid="report-last-server">{formatMinutes(r.lastServerAvailableAfterMinutes)}</dd>
        <dt>Servers</dt>
        <dd>
          {s.servers} ({s.windows} Windows, {s.linux} Linux): {s.ok} ok, {s.warning} with warning, {s.failed}{' '}
          failed, {s.blocked} blocked; RTO met by {s.rtoMet}, missed by {s.rtoMissed}
        </dd>
        <dt>Teardown</dt>
        <dd>
          {r.teardown.verifiedAt
            ? `verified ${formatTime(r.teardown.verifiedAt)}`
            : r.teardown.remaining.length
              ? `remaining: ${r.teardown.remaining.join(', ')}`
              : 'not yet'}
        </dd>
      </dl>
      <h2>Servers</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Server</th>
              <th scope="col">OS</th>
              <th scope="col">Template</th>
              <th scope="col">Restore</th>
              <th scope="col">Available after</th>
              <th scope="col">Result</th>
              <th scope="col">RTO</th>
              <th scope="col">RPO achieved</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {r.servers.map((x) => (
              <tr key={x.hostname}>
                <th scope="row">{x.hostname}</th>
                <td>
                  {x.os.name} {x.os.version}
                </td>
                <td>
                  {x.template.vcpu} vCPU / {x.template.ramGiB} GiB
                </td>
                <td>{formatMinutes(x.restoreMinutes)}</td>
                <td>{formatMinutes(x.availableAfterMinutes)}</td>
                <td>
                  <PhaseBadge phase={x.phase} />
                </td>
                <td>
                  {formatMinutes(x.rtoMinutes)} {x.rtoMet === null ? '' : x.rtoMet ? '✓ met' : '✕ missed'}
                </td>
                <td>{formatMinutes(x.rpoMinutes)}</td>
                <td>{x.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Corrective actions</h2>
      {r.correctiveActions.length === 0 ? (
        <p>None.</p>
      ) : (
        <ol>
          {r.correctiveActions.map((a, i) => (
            <li key={i}>
              {a.hostname && <strong>{a.hostname}: </strong>}
              {a.action}
            </li>
          ))}
        </ol>
      )}
      <p className="muted">State as of {formatTime(r.asOf)}; rebuilt from the activation's events.</p>
    </article>
  );
}
