import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { RunbookStepStatus } from '@reprise/domain/activation/runbook-steps';
import type { ActivationStepView, ActivationView } from '@reprise/domain/activation/view';
import { api, describeError } from '../api/client';
import { FormDialog } from '../components/dialog';
import { ErrorNote, formatTime } from '../components/ui';
import { can, useUser } from '../session';

const STEP_WORDS: Record<RunbookStepStatus, { label: string; tone: string }> = {
  pending: { label: 'Pending', tone: 'neutral' },
  running: { label: 'Running', tone: 'active' },
  'waiting-sign-off': { label: 'Waiting for sign-off', tone: 'warn' },
  done: { label: 'Done', tone: 'good' },
  failed: { label: 'Failed', tone: 'bad' },
  blocked: { label: 'Blocked', tone: 'bad' },
  skipped: { label: 'Skipped', tone: 'neutral' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
};

type Decision = { step: ActivationStepView; path: 'sign-off' | 'fail' };

/**
 * The runbook steps of the activation (webhook, script, check, manual), live: a manual step waiting
 * for its sign-off offers the dr-manager to sign it off or fail it; a failed step can be retried.
 */
export function RunbookStepsPanel({ view }: { view: ActivationView }) {
  const user = useUser();
  const [decision, setDecision] = useState<Decision | null>(null);
  const send = useMutation({
    mutationFn: ({ step, path, text }: Decision & { text: string }) =>
      api(`/activations/${view.id}/steps/${encodeURIComponent(step.name)}/${path}`, {
        body: path === 'sign-off' ? (text ? { note: text } : {}) : { reason: text },
      }),
    onSuccess: () => setDecision(null),
  });
  const retry = useMutation({
    mutationFn: (step: ActivationStepView) =>
      api(`/activations/${view.id}/steps/${encodeURIComponent(step.name)}/retry`, { body: {} }),
  });
  if (!view.steps.length) return null;
  const drives = can.drive(user.role);
  return (
    <section className="panel runbook-steps" aria-labelledby="steps-title">
      <h2 id="steps-title">Runbook steps</h2>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Runbook steps of the activation</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
              <th scope="col">Detail</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {view.steps.map((s) => (
              <tr key={s.name} data-step={s.name}>
                <th scope="row">{s.name}</th>
                <td>{s.kind}</td>
                <td>
                  <span className={`badge tone-${STEP_WORDS[s.status].tone}`}>
                    {STEP_WORDS[s.status].label}
                  </span>
                </td>
                <td>{s.startedAt ? formatTime(s.startedAt) : '—'}</td>
                <td>{s.endedAt ? formatTime(s.endedAt) : '—'}</td>
                <td>{s.status === 'waiting-sign-off' ? s.instructions : (s.detail ?? '')}</td>
                <td>
                  {drives && s.status === 'waiting-sign-off' && (
                    <>
                      <button
                        type="button"
                        onClick={() => (send.reset(), setDecision({ step: s, path: 'sign-off' }))}
                      >
                        Sign off {s.name}
                      </button>{' '}
                      <button
                        type="button"
                        className="danger"
                        onClick={() => (send.reset(), setDecision({ step: s, path: 'fail' }))}
                      >
                        Fail…
                      </button>
                    </>
                  )}
                  {drives && s.status === 'failed' && (
                    <button type="button" onClick={() => retry.mutate(s)} disabled={retry.isPending}>
                      Retry {s.name}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {retry.isError && <ErrorNote error={retry.error} />}
      <FormDialog
        open={decision !== null}
        title={
          decision?.path === 'fail' ? `Fail ${decision.step.name}` : `Sign off ${decision?.step.name ?? ''}`
        }
        submitLabel={decision?.path === 'fail' ? 'Fail the step' : 'Sign off'}
        danger={decision?.path === 'fail'}
        busy={send.isPending}
        onSubmit={(form) =>
          decision && send.mutate({ ...decision, text: String(form.get('text') ?? '').trim() })
        }
        onClose={() => setDecision(null)}
      >
        <p>{decision?.step.instructions}</p>
        <label>
          {decision?.path === 'fail' ? 'Why did it fail?' : 'Note (optional)'}
          <input name="text" required={decision?.path === 'fail'} autoFocus />
        </label>
        {send.isError && (
          <p role="alert" className="error">
            {describeError(send.error)}
          </p>
        )}
      </FormDialog>
    </section>
  );
}
