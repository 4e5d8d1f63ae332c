import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type ChangeEvent } from 'react';
import { Link } from 'react-router';
import { api, ApiError, describeError } from '../api/client';
import type { ServerItem } from '../api/types';
import { PageHeader, formatMinutes } from '../components/ui';
import { CLASS_WORDS } from '../words';
import { invalidateEstate } from './estate';

type PreviewRow = Omit<
  ServerItem,
  'id' | 'version' | 'status' | 'enrolledAt' | 'archivedAt' | 'decommissionedAt'
> & {
  row: number;
};
interface RowProblem {
  row: number;
  hostname: string | null;
  errors: Array<{ field: string; message: string; code?: string }>;
}

const SAMPLE = `hostname,kind,platform,osFamily,osName,osVersion,backupMode,vcpu,ramGiB,disks,protectionClass,dependsOn,rtoMinutes,rpoMinutes,recoveryMethod,applications
app-42,virtual,vmware,linux,Ubuntu,22.04,agent,4,16,system:60;data:200,drp,,240,1440,backup-restore,
`;

const csv = (body: string) => ({ body, contentType: 'text/csv' });

/**
 * CSV import in two steps: the API checks every row exactly as the import would
 * (`validateOnly=true`: shape, duplicates, rules, cycles) and the page shows what will change;
 * only then can the import be applied, all or nothing.
 */
export function ImportPage() {
  const client = useQueryClient();
  const [text, setText] = useState('');
  const [checkedText, setCheckedText] = useState<string | null>(null);
  const preview = useMutation({
    mutationFn: (body: string) =>
      api<{ items: PreviewRow[] }>('/servers:import?validateOnly=true', { text: csv(body) }),
    onSettled: (_d, _e, body) => setCheckedText(body),
  });
  const apply = useMutation({
    mutationFn: (body: string) => api<{ imported: number }>('/servers:import', { text: csv(body) }),
    onSuccess: () => invalidateEstate(client),
  });
  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file) change(await file.text());
  };
  const change = (value: string) => {
    setText(value);
    setCheckedText(null);
    preview.reset();
    apply.reset();
  };
  const problems =
    preview.error instanceof ApiError && Array.isArray(preview.error.problem.rows)
      ? (preview.error.problem.rows as RowProblem[])
      : [];
  const ready = preview.isSuccess && checkedText === text && !apply.isSuccess;
  return (
    <>
      <PageHeader title="Import a CSV inventory">
        <Link className="button" to="/estate">
          Back to the estate
        </Link>
      </PageHeader>
      <p>
        One server per line after the header. Columns: <code>{SAMPLE.split('\n')[0]}</code>. Disks are{' '}
        <code>name:GiB;name:GiB</code>, dependencies <code>host;host</code>. The import adds new servers, all
        or none.
      </p>
      <div className="import-input">
        <label>
          CSV file
          <input type="file" accept=".csv,text/csv,text/plain" onChange={onFile} />
        </label>
        <label>
          Or paste the inventory
          <textarea
            name="csv"
            rows={8}
            spellCheck={false}
            value={text}
            placeholder={SAMPLE}
            onChange={(e) => change(e.target.value)}
          />
        </label>
      </div>
      <div className="form-actions">
        <button
          type="button"
          className="primary"
          disabled={!text.trim() || preview.isPending}
          onClick={() => preview.mutate(text)}
        >
          {preview.isPending ? 'Checking…' : 'Preview the changes'}
        </button>
        <button type="button" disabled={!ready || apply.isPending} onClick={() => apply.mutate(text)}>
          {apply.isPending ? 'Importing…' : 'Apply the import'}
        </button>
      </div>
      <section aria-live="polite" aria-labelledby="preview-title">
        <h2 id="preview-title" className={preview.isIdle ? 'sr-only' : ''}>
          Preview
        </h2>
        {apply.isSuccess && (
          <p role="status" className="success">
            ✓ {apply.data.imported} server{apply.data.imported === 1 ? '' : 's'} enrolled.{' '}
            <Link to="/estate">See the estate</Link>
          </p>
        )}
        {apply.isError && (
          <p role="alert" className="error">
            {describeError(apply.error)}
          </p>
        )}
        {preview.isSuccess && !apply.isSuccess && (
          <>
            <p role="status">
              {preview.data.items.length} new server{preview.data.items.length === 1 ? '' : 's'} will be
              enrolled; no existing server changes. Every row passed the checks.
            </p>
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Servers the import will enrol</caption>
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col">Change</th>
                    <th scope="col">Hostname</th>
                    <th scope="col">Operating system</th>
                    <th scope="col">Class</th>
                    <th scope="col">Template</th>
                    <th scope="col">Depends on</th>
                    <th scope="col">RTO</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.data.items.map((s) => (
                    <tr key={s.row}>
                      <td>{s.row + 2}</td>
                      <td>
                        <span className="badge tone-good">+ New</span>
                      </td>
                      <th scope="row">{s.hostname}</th>
                      <td>
                        {s.os.name} {s.os.version}
                      </td>
                      <td>{CLASS_WORDS[s.protectionClass]}</td>
                      <td>
                        {s.template.vcpu} vCPU, {s.template.ramGiB} GiB,{' '}
                        {s.disks.reduce((a, d) => a + d.sizeGiB, 0)} GiB disk
                      </td>
                      <td>{s.dependsOn.join(', ') || '—'}</td>
                      <td>{formatMinutes(s.rtoMinutes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
        {preview.isError && (
          <>
            <p role="alert" className="error">
              Nothing can be imported yet:{' '}
              {preview.error instanceof ApiError ? preview.error.message : describeError(preview.error)}
            </p>
            {problems.length > 0 && (
              <div className="table-wrap">
                <table>
                  <caption className="sr-only">Rows to fix</caption>
                  <thead>
                    <tr>
                      <th scope="col">Line</th>
                      <th scope="col">Hostname</th>
                      <th scope="col">Problem</th>
                    </tr>
                  </thead>
                  <tbody>
                    {problems.map((p) => (
                      <tr key={p.row}>
                        <td>{p.row + 2}</td>
                        <th scope="row">{p.hostname ?? '—'}</th>
                        <td>
                          <ul>
                            {p.errors.map((e, i) => (
                              <li key={i}>
                                <span className="badge tone-bad">
                                  ✕ {e.code === 'duplicate-hostname' ? 'Already enrolled' : 'Invalid'}
                                </span>{' '}
                                {e.field.replace(/^\[\d+\]\.?/, '')}: {e.message}
                              </li>
                            ))}
                          </ul>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </section>
    </>
  );
}
