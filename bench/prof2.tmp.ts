import { leafHashOfParts, type CanonicalLogEntry } from '@reprise/audit-log/leaf';
import { trustedKeys } from '@reprise/audit-log/tree-head';
import { LogVerifier } from '@reprise/audit-log/verify-log';
const T = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const N = 300_000;
const meta = JSON.stringify({
  actor: 'system:worker',
  causationId: null,
  correlationId: T,
  recordedAt: '2026-01-01T00:00:00.000Z',
  requestId: null,
  role: 'system',
  tenantId: T,
});
const entries: CanonicalLogEntry[] = [];
for (let i = 0; i < N; i++) {
  const e = {
    id: `0190c3a1-aaaa-7bbb-8ccc-${String(i).padStart(12, '0')}`,
    stream: `tenant/${T}/activation/a-${i % 50}`,
    revision: Math.floor(i / 50),
    position: i + 1,
    type: 'DiskRestored',
    dataJson: `{"at":"2026-01-01T00:00:00.000Z","attempt":1,"serverId":"s${i}"}`,
    metadataJson: meta,
    hash: '',
  };
  e.hash = leafHashOfParts('reprise-leaf/1', e.id, e.stream, e.revision, e.type, e.dataJson, e.metadataJson);
  entries.push(e);
}
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  for (const e of entries)
    leafHashOfParts('reprise-leaf/1', e.id, e.stream, e.revision, e.type, e.dataJson, e.metadataJson);
  const h = performance.now() - t;
  t = performance.now();
  const v = new LogVerifier({ tenantId: T, keys: trustedKeys([]) });
  for (const e of entries) v.add(e);
  const added = performance.now() - t;
  const r = v.finish();
  const all = performance.now() - t;
  console.log(
    'leaf only',
    Math.round((N / h) * 1000),
    'add',
    Math.round((N / added) * 1000),
    'verify total',
    Math.round((N / all) * 1000),
    r.valid,
  );
}
