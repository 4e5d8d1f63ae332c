import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { APPLICATION_KINDS } from '@reprise/domain/estate/os-matrix';
import {
  BACKUP_MODES,
  PLATFORMS,
  PROTECTION_CLASSES,
  RECOVERY_METHODS,
  SERVER_KINDS,
} from '@reprise/domain/estate/server';
import { api, describeError } from '../api/client';
import type { ServerItem } from '../api/types';
import { ErrorNote, Loading, PageHeader } from '../components/ui';
import { CLASS_WORDS } from '../words';
import { invalidateEstate, serversQuery } from './estate';
import { serverQuery } from './server';

type Draft = Omit<
  ServerItem,
  'id' | 'version' | 'status' | 'enrolledAt' | 'archivedAt' | 'decommissionedAt' | 'antiAffinityGroup'
>;

const EMPTY: Draft = {
  hostname: '',
  kind: 'virtual',
  platform: 'vmware',
  os: { family: 'windows', name: 'Windows Server', version: '2022' },
  backupMode: 'agent',
  applications: [],
  template: { vcpu: 2, ramGiB: 8 },
  disks: [{ name: 'system', sizeGiB: 80 }],
  protectionClass: 'drp',
  dependsOn: [],
  rtoMinutes: 240,
  rpoMinutes: 1440,
  recoveryMethod: 'backup-restore',
};

const pairs = (list: Array<Record<string, string | number>>, a: string, b: string) =>
  list.map((x) => `${x[a]}:${x[b]}`).join('; ');
const parsePairs = (text: string) =>
  text
    .split(/[;\n]/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const i = p.lastIndexOf(':');
      return i < 0 ? [p, ''] : [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    });
const optionalNumber = (v: FormDataEntryValue | null) =>
  v === null || String(v).trim() === '' ? null : Number(v);

function readDraft(form: HTMLFormElement, hostname: string): Draft {
  const f = new FormData(form);
  const str = (k: string) => String(f.get(k) ?? '').trim();
  return {
    hostname: hostname || str('hostname').toLowerCase(),
    kind: str('kind') as Draft['kind'],
    platform: str('platform'),
    os: { family: str('osFamily') as Draft['os']['family'], name: str('osName'), version: str('osVersion') },
    backupMode: str('backupMode') as Draft['backupMode'],
    applications: parsePairs(str('applications')).map(([kind, version]) => ({ kind, version })),
    template: { vcpu: Number(str('vcpu')), ramGiB: Number(str('ramGiB')) },
    disks: parsePairs(str('disks')).map(([name, size]) => ({ name, sizeGiB: Number(size) })),
    protectionClass: str('protectionClass') as Draft['protectionClass'],
    dependsOn: f.getAll('dependsOn').map(String),
    rtoMinutes: optionalNumber(f.get('rtoMinutes')),
    rpoMinutes: optionalNumber(f.get('rpoMinutes')),
    recoveryMethod: str('recoveryMethod') as Draft['recoveryMethod'],
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The evolutions an edit needs, each on its own route (the server's history records each change
 * as what it is), chained with If-Match so a concurrent change is refused rather than overwritten.
 */
async function saveChanges(before: ServerItem, after: Draft): Promise<ServerItem> {
  const path = `/servers/${before.id}`;
  let version = before.version;
  let latest = before;
  const write = async (p: string, method: 'PUT' | 'POST' | 'DELETE', body?: unknown) => {
    latest = await api<ServerItem>(`${path}${p}`, { method, body, ifMatch: version });
    version = latest.version ?? version + 1;
  };
  if (after.protectionClass !== before.protectionClass)
    await write('/protection-class', 'PUT', { protectionClass: after.protectionClass });
  if (!same(after.os, before.os) || after.backupMode !== before.backupMode)
    await write('/os', 'PUT', { ...after.os, backupMode: after.backupMode });
  if (!same(after.template, before.template)) await write('/template', 'PUT', after.template);
  const oldDisks = new Map(before.disks.map((d) => [d.name, d.sizeGiB]));
  const newDisks = new Map(after.disks.map((d) => [d.name, d.sizeGiB]));
  for (const [name, size] of newDisks)
    if (!oldDisks.has(name)) await write('/disks', 'POST', { name, sizeGiB: size });
    else if (oldDisks.get(name) !== size)
      await write(`/disks/${encodeURIComponent(name)}`, 'PUT', { sizeGiB: size });
  for (const name of oldDisks.keys())
    if (!newDisks.has(name)) await write(`/disks/${encodeURIComponent(name)}`, 'DELETE');
  if (!same([...after.dependsOn].sort(), [...before.dependsOn].sort()))
    await write('/dependencies', 'PUT', { dependsOn: after.dependsOn });
  if (
    after.rtoMinutes !== before.rtoMinutes ||
    after.rpoMinutes !== before.rpoMinutes ||
    after.recoveryMethod !== before.recoveryMethod
  )
    await write('/recovery-objectives', 'PUT', {
      ...(after.rtoMinutes !== null ? { rtoMinutes: after.rtoMinutes } : {}),
      ...(after.rpoMinutes !== null ? { rpoMinutes: after.rpoMinutes } : {}),
      recoveryMethod: after.recoveryMethod,
    });
  return latest;
}

function Select({
  name,
  label,
  value,
  options,
}: {
  name: string;
  label: string;
  value: string;
  options: readonly string[];
}) {
  return (
    <label>
      {label}
      <select name={name} defaultValue={value}>
        {options.map((o) => (
          <option key={o} value={o}>
            {CLASS_WORDS[o] ?? o.replace(/-/g, ' ')}
          </option>
        ))}
      </select>
    </label>
  );
}

function ServerForm({
  initial,
  existing,
  onSubmit,
  busy,
  error,
}: {
  initial: Draft;
  existing?: ServerItem;
  onSubmit: (draft: Draft) => void;
  busy: boolean;
  error: unknown;
}) {
  const others = useQuery(serversQuery({ status: 'active' }));
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onSubmit(readDraft(event.currentTarget, existing?.hostname ?? ''));
  };
  const candidates = (others.data?.items ?? []).filter((s) => s.hostname !== initial.hostname);
  return (
    <form className="server-form" onSubmit={submit} aria-describedby={error ? 'form-error' : undefined}>
      <fieldset>
        <legend>Identity</legend>
        {!existing && (
          <label>
            Hostname
            <input name="hostname" required defaultValue={initial.hostname} autoComplete="off" />
          </label>
        )}
        <Select name="kind" label="Kind" value={initial.kind} options={SERVER_KINDS} />
        <Select name="platform" label="Platform" value={initial.platform} options={PLATFORMS} />
        <Select
          name="protectionClass"
          label="Protection class"
          value={initial.protectionClass}
          options={PROTECTION_CLASSES}
        />
      </fieldset>
      <fieldset>
        <legend>Operating system and backup</legend>
        <Select name="osFamily" label="OS family" value={initial.os.family} options={['windows', 'linux']} />
        <label>
          OS name
          <input name="osName" required defaultValue={initial.os.name} />
        </label>
        <label>
          OS version
          <input name="osVersion" required defaultValue={initial.os.version} />
        </label>
        <Select name="backupMode" label="Backup mode" value={initial.backupMode} options={BACKUP_MODES} />
        {!existing && (
          <label>
            Applications <span className="hint">kind:version; … ({APPLICATION_KINDS.join(', ')})</span>
            <input name="applications" defaultValue={pairs(initial.applications, 'kind', 'version')} />
          </label>
        )}
      </fieldset>
      <fieldset>
        <legend>Recovery template</legend>
        <label>
          vCPU
          <input name="vcpu" type="number" min={1} required defaultValue={initial.template.vcpu} />
        </label>
        <label>
          RAM (GiB)
          <input
            name="ramGiB"
            type="number"
            min={0.5}
            step={0.5}
            required
            defaultValue={initial.template.ramGiB}
          />
        </label>
        <label>
          Disks <span className="hint">name:GiB; …</span>
          <input name="disks" required defaultValue={pairs(initial.disks, 'name', 'sizeGiB')} />
        </label>
      </fieldset>
      <fieldset>
        <legend>Recovery objectives and dependencies</legend>
        <label>
          RTO (minutes)
          <input name="rtoMinutes" type="number" min={1} defaultValue={initial.rtoMinutes ?? ''} />
        </label>
        <label>
          RPO (minutes)
          <input name="rpoMinutes" type="number" min={1} defaultValue={initial.rpoMinutes ?? ''} />
        </label>
        <Select
          name="recoveryMethod"
          label="Recovery method"
          value={initial.recoveryMethod}
          options={RECOVERY_METHODS}
        />
        <label>
          Depends on <span className="hint">servers that must be up first (Ctrl/Shift to pick several)</span>
          <select
            name="dependsOn"
            multiple
            size={Math.min(8, Math.max(3, candidates.length))}
            defaultValue={initial.dependsOn}
          >
            {candidates.map((s) => (
              <option key={s.id} value={s.hostname}>
                {s.hostname}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      {error ? (
        <p id="form-error" role="alert" className="error">
          {describeError(error)}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : existing ? 'Save changes' : 'Enrol the server'}
        </button>
        <Link className="button" to={existing ? `/estate/${existing.id}` : '/estate'}>
          Cancel
        </Link>
      </div>
    </form>
  );
}

export function ServerNewPage() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: (draft: Draft) => {
      const body: Record<string, unknown> = { ...draft };
      if (draft.rtoMinutes === null) delete body.rtoMinutes;
      if (draft.rpoMinutes === null) delete body.rpoMinutes;
      return api<ServerItem>('/servers', { body });
    },
    onSuccess: async (server) => {
      await invalidateEstate(client);
      navigate(`/estate/${server.id}`);
    },
  });
  return (
    <>
      <PageHeader title="Add a server" />
      <ServerForm
        initial={EMPTY}
        onSubmit={(d) => create.mutate(d)}
        busy={create.isPending}
        error={create.error}
      />
    </>
  );
}

export function ServerEditPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const server = useQuery(serverQuery(id));
  const save = useMutation({
    mutationFn: (draft: Draft) => saveChanges(server.data!, draft),
    onSettled: () => invalidateEstate(client),
    onSuccess: () => {
      navigate(`/estate/${id}`);
    },
  });
  if (server.isPending) return <Loading what="the server" />;
  if (server.isError) return <ErrorNote error={server.error} />;
  return (
    <>
      <PageHeader title={`Edit ${server.data.hostname}`} />
      <ServerForm
        key={server.data.version}
        initial={server.data}
        existing={server.data}
        onSubmit={(d) => save.mutate(d)}
        busy={save.isPending}
        error={save.error}
      />
    </>
  );
}
