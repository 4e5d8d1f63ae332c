import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from '../api/client';
import type { PlanView, ReadinessCheck } from '../api/types';
import { ErrorNote, Loading, PageHeader, formatMinutes } from '../components/ui';
import { DependencyGraph } from '../graph/dependency-graph';

export const planQuery = { queryKey: ['plan'], queryFn: () => api<PlanView>('/plan') };

/** The DRP: its dependency graph, the predicted RTO and the readiness check. */
export function PlanPage() {
  const plan = useQuery(planQuery);
  const check = useMutation({ mutationFn: () => api<ReadinessCheck>('/plan/check', { method: 'POST' }) });
  const nodes = useMemo(
    () => (plan.data?.servers ?? []).map((s) => ({ id: s.hostname, dependsOn: s.dependsOn })),
    [plan.data],
  );
  const predicted = useMemo(
    () => new Map((plan.data?.servers ?? []).map((s) => [s.hostname, s.predictedAvailableAfterMinutes])),
    [plan.data],
  );
  if (plan.isPending) return <Loading what="the plan" />;
  if (plan.isError) return <ErrorNote error={plan.error} />;
  const p = plan.data;
  return (
    <>
      <PageHeader title="Disaster-recovery plan">
        <button type="button" className="primary" onClick={() => check.mutate()} disabled={check.isPending}>
          {check.isPending ? 'Checking…' : 'Run the readiness check'}
        </button>
      </PageHeader>
      <dl className="kpis">
        <div>
          <dt>Predicted RTO</dt>
          <dd data-testid="predicted-rto">{formatMinutes(p.predictedRtoMinutes)}</dd>
        </div>
        <div>
          <dt>Servers in the DRP</dt>
          <dd>{p.servers.length}</dd>
        </div>
        <div>
          <dt>Dependency levels</dt>
          <dd>{p.bootWaves.length}</dd>
        </div>
        <div>
          <dt>Critical path</dt>
          <dd className="small">{p.criticalPath.join(' → ') || '—'}</dd>
        </div>
      </dl>
      {check.isError && <ErrorNote error={check.error} />}
      {check.data && (
        <section aria-labelledby="check-title" className="readiness" aria-live="polite">
          <h2 id="check-title">
            Readiness:{' '}
            <span className={`badge ${check.data.ready ? 'tone-good' : 'tone-bad'}`}>
              {check.data.ready ? '✓ Ready' : '✕ Not ready'}
            </span>
          </h2>
          {check.data.findings.length === 0 ? (
            <p>No finding: the plan is consistent and the recovery space can take it.</p>
          ) : (
            <ul className="findings">
              {check.data.findings.map((f, i) => (
                <li key={i} className={`finding ${f.severity}`}>
                  <span className={`badge ${f.severity === 'error' ? 'tone-bad' : 'tone-warn'}`}>
                    {f.severity === 'error' ? '✕ Error' : '! Warning'}
                  </span>{' '}
                  {f.message}
                  {f.servers?.length ? <span className="muted"> ({f.servers.join(', ')})</span> : null}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {p.servers.length === 0 ? (
        <p>No server of the DRP class yet: enrol servers in the estate first.</p>
      ) : (
        <DependencyGraph
          label="DRP dependency graph"
          nodes={nodes}
          levels={p.bootWaves}
          criticalPath={p.criticalPath}
          captionOf={(id) => {
            const m = predicted.get(id);
            return m === null || m === undefined ? undefined : `up after ~${formatMinutes(m)}`;
          }}
        />
      )}
      <section aria-labelledby="levels-title">
        <h2 id="levels-title">Boot order by level</h2>
        <ol className="levels">
          {p.bootWaves.map((wave, i) => (
            <li key={i}>
              <strong>Level {i + 1}:</strong> {wave.join(', ')}
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
