/**
 * The signer of `npm run bench -- audit`, in a process of its own as the worker is: keeps the
 * tenant's Merkle tree up to date from the store and signs a head every second while it grows.
 *   node dist/bench/support/audit-signer.js <store.db> <trees.db> <tenantId>
 */
import { MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { generateSigningKey, signTreeHead } from '@reprise/audit-log/tree-head';
import { TREE_HEAD_SIGNED } from '@reprise/audit-log/verify-log';
import { SystemClock } from '@reprise/common/clock/system-clock';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';

const [path, treesPath, tenantId] = process.argv.slice(2);
const clock = new SystemClock();
const store = new SqliteEventStore({ path, clock });
const trees = new MerkleTrees(store, { path: treesPath, logOf: () => tenantId });
const key = generateSigningKey();
let signed = 0;
let heads = 0;

const timer = setInterval(async () => {
  await trees.sync();
  const size = trees.store.size(tenantId);
  if (size <= signed + 1) return;
  const head = signTreeHead(
    {
      tenantId,
      treeSize: size,
      rootHash: trees.store.rootHex(tenantId, size),
      timestamp: clock.now().toISOString(),
    },
    key,
  );
  await store.append(
    `tenant/${tenantId}/audit`,
    [{ type: TREE_HEAD_SIGNED, data: { ...head, previousTreeSize: signed } }],
    {
      expectedRevision: 'any',
      metadata: { actor: 'bench', role: 'system', tenantId, correlationId: 'bench', causationId: null },
    },
  );
  signed = size;
  heads += 1;
}, 1000);

process.on('SIGTERM', async () => {
  clearInterval(timer);
  await trees.sync();
  // What the signing cost, not the start of the process.
  const cpu = process.cpuUsage(started);
  process.stdout.write(
    `${JSON.stringify({ heads, leaves: trees.store.size(tenantId), cpuMs: (cpu.user + cpu.system) / 1000 })}\n`,
  );
  await trees.stop();
  await store.close();
  process.exit(0);
});
const started = process.cpuUsage();
process.stdout.write('ready\n');
