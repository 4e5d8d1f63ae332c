import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, describeError } from '../api/client';
import type { ActivationListItem, ActivationStatus } from '../api/types';
import { FormDialog } from '../components/dialog';
import { ActivationTable } from '../components/activation-table';
import { ErrorNote, Loading, PageHeader } from '../components/ui';
import { can, useUser } from '../session';
import { TYPE_WORDS, activationWords } from '../words';
import { serversQuery } from './estate';
import { planQuery } from './plan';

export const activationsQuery = (type?: string) => ({
  queryKey: ['activations', type ?? 'all'],
  queryFn: () =>
    api<{ items: ActivationListItem[] }>(`/activations${type ? `?type=${encodeURIComponent(type)}` : ''}`),
  refetchInterval: 5_000,
});

type Kind = 'test' | 'restore-test' | 'disaster' | 'alert';

const KIND_HELP: Record<Kind, string> = {
  test: 'Recovers the servers in an isolated recovery space and writes the test report; production is not touched.',
  'restore-test':
    'Restores each server you pick (backup-with-tests or DRP) on its own in an isolated space, checks its health, reports, then tears everything down by itself.',
  disaster:
    'Fails production over to the recovery space. Another authorised person must confirm with the one-time code they receive.',
  alert: 'Standby: restores are pre-staged; escalate to a failover or stand down later.',
};

/** Launch a test, a disaster failover or an alert. */
function LaunchForm() {
  const user = useUser();
  const navigate = useNavigate();
  const client = useQueryClient();
  const plan = useQuery(planQuery);
  const kinds: Kind[] = can.launchDisaster(user.role)
    ? ['test', 'restore-test', 'disaster', 'alert']
    : ['test', 'restore-test'];
  const [kind, setKind] = useState<Kind>('test');
  const [partialChoice, setPartial] = useState(false);
  // A restore test names its servers (any backup-with-tests or DRP server, not only the plan's).
  const restoreTest = kind === 'restore-test';
  const partial = partialChoice || restoreTest;
  const estate = useQuery({ ...serversQuery({ status: 'active' }), enabled: restoreTest });
  const [selected, setSelected] = useState<string[]>([]);
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const launch = useMutation({
    mutationFn: () =>
      api<{ id: string; status: ActivationStatus }>('/activations', {
        body: {
          type: kind,
          // The requester is the signed-in person: the API takes it from the session.
          scope: partial ? { servers: selected } : 'full',
          ...(reason.trim() ? { reason: reason.trim() } : {}),
        },
      }),
    onSuccess: async (res) => {
      setConfirming(false);
      await client.invalidateQueries({ queryKey: ['activations'] });
      navigate(`/activations/${res.id}`);
    },
  });
  const servers = restoreTest
    ? (estate.data?.items ?? []).filter((s) => s.protectionClass !== 'backup-only')
    : (plan.data?.servers ?? []);
  const scopeWords = partial
    ? `${selected.length} selected server${selected.length === 1 ? '' : 's'} (and what they depend on)`
    : `the whole DRP (${servers.length} servers)`;
  return (
    <section aria-labelledby="launch-title" className="panel">
      <h2 id="launch-title">Launch</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (kind === 'test' || restoreTest) launch.mutate();
          else setConfirming(true);
        }}
      >
        <fieldset className="choice">
          <legend>What</legend>
          {kinds.map((k) => (
            <label key={k}>
              <input type="radio" name="type" value={k} checked={kind === k} onChange={() => setKind(k)} />
              {TYPE_WORDS[k]}
            </label>
          ))}
          <p className="hint">{KIND_HELP[kind]}</p>
        </fieldset>
        <fieldset className="choice">
          <legend>Scope</legend>
          <label>
            <input
              type="radio"
              name="scope"
              checked={!partial}
              disabled={restoreTest}
              onChange={() => setPartial(false)}
            />
            Whole DRP
          </label>
          <label>
            <input type="radio" name="scope" checked={partial} onChange={() => setPartial(true)} />
            Some servers (partial)
          </label>
          {partial && (
            <div className="server-picks" role="group" aria-label="Servers in scope">
              {servers.map((s) => (
                <label key={s.hostname}>
                  <input
                    type="checkbox"
                    checked={selected.includes(s.hostname)}
                    onChange={(e) =>
                      setSelected(
                        e.target.checked
                          ? [...selected, s.hostname]
                          : selected.filter((h) => h !== s.hostname),
                      )
                    }
                  />
                  {s.hostname}
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <label>
          Reason
          <input
            name="reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. semi-annual DRP test"
          />
        </label>
        {launch.isError && !confirming && <ErrorNote error={launch.error} />}
        <button
          type="submit"
          className={kind === 'disaster' ? 'danger' : 'primary'}
          disabled={launch.isPending || (partial && !selected.length)}
        >
          {kind === 'test'
            ? 'Launch the DRP test'
            : restoreTest
              ? 'Launch the restore test'
              : kind === 'disaster'
                ? 'Request a disaster failover…'
                : 'Raise an alert…'}
        </button>
      </form>
      <FormDialog
        open={confirming}
        title={kind === 'disaster' ? 'Request a disaster failover' : 'Raise an alert'}
        submitLabel={kind === 'disaster' ? 'Request the failover' : 'Raise the alert'}
        danger={kind === 'disaster'}
        busy={launch.isPending}
        onSubmit={() => launch.mutate()}
        onClose={() => setConfirming(false)}
      >
        <p>
          {kind === 'disaster'
            ? `Production of ${scopeWords} will be failed over to the recovery space once another authorised person confirms it with the one-time code they receive (valid 15 minutes).`
            : `An alert on ${scopeWords}: restores are pre-staged, nothing is failed over yet.`}
        </p>
        <p>
          Requested by {user.name} ({user.email}).
        </p>
        {launch.isError && (
          <p role="alert" className="error">
            {describeError(launch.error)}
          </p>
        )}
      </FormDialog>
    </section>
  );
}

export function ActivationsPage() {
  const user = useUser();
  const list = useQuery(activationsQuery());
  return (
    <>
      <PageHeader title="Activations" />
      <div className="split">
        <section aria-labelledby="list-title">
          <h2 id="list-title">History</h2>
          {list.isPending ? (
            <Loading what="the activations" />
          ) : list.isError ? (
            <ErrorNote error={list.error} />
          ) : list.data.items.length === 0 ? (
            <p>No activation yet.</p>
          ) : (
            <ActivationTable
              items={list.data.items}
              caption="Activations, newest first"
              link={(a) => ({
                to: `/activations/${a.id}`,
                label: `${activationWords(a)} ${a.id.slice(0, 8)}`,
              })}
            />
          )}
        </section>
        {can.launchTest(user.role) && <LaunchForm />}
      </div>
    </>
  );
}
