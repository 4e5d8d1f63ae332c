/**
 * `npx reprise-verify <export.ndjson> --public-key <file> [--public-key <file>…] [--head <head.json>] [--json]`
 *
 * Checks a tenant's audit export (`GET /api/v1/audit/export`) without the server: recomputes every
 * leaf and the Merkle roots, checks each signed tree head with the given public keys, the
 * consistency proofs between heads, and (with --head) a head the auditor kept. Names the first bad
 * event. Exit code 0: valid; 1: not valid; 2: bad usage or unreadable input.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LogEntry } from '../leaf';
import { fromHex, verifyConsistency } from '../merkle';
import { parsePublicKey, treeHeadShapeProblems, trustedKeys, type TreeHead } from '../tree-head';
import { LogVerifier, type LogVerification } from '../verify-log';

interface Options {
  file: string;
  publicKeys: string[];
  heads: string[];
  json: boolean;
}

class UsageError extends Error {}

const USAGE =
  'usage: reprise-verify <export.ndjson> --public-key <file> [--public-key <file>...] [--head <head.json>...] [--json]';

function parseArgs(argv: string[]): Options {
  const options: Options = { file: '', publicKeys: [], heads: [], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (!v) throw new UsageError(`${arg} needs a file`);
      return v;
    };
    if (arg === '--public-key') options.publicKeys.push(value());
    else if (arg === '--head') options.heads.push(value());
    else if (arg === '--json') options.json = true;
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    else if (!options.file) options.file = arg;
    else throw new UsageError(`one export at a time\n${USAGE}`);
  }
  if (!options.file) throw new UsageError(USAGE);
  if (!options.publicKeys.length) throw new UsageError(`--public-key is required\n${USAGE}`);
  return options;
}

export interface OfflineResult extends LogVerification {
  tenantId: string | null;
  consistencyProofs: { checked: number; failed: { from: number; to: number }[] };
  keptHeads: { treeSize: number; rootHash: string; valid: boolean }[];
}

/** Verifies an export given as lines of NDJSON. */
export async function verifyExport(
  lines: AsyncIterable<string> | Iterable<string>,
  options: { publicKeys: string[]; keptHeads?: TreeHead[] },
): Promise<OfflineResult> {
  const keys = trustedKeys(options.publicKeys.map(parsePublicKey));
  let tenantId: string | null = null;
  let verifier: LogVerifier | null = null;
  const heads: TreeHead[] = [];
  const proofs: { from: number; to: number; proof: string[] }[] = [];
  let lineNo = 0;
  const pending: LogEntry[] = [];
  for await (const raw of lines) {
    lineNo += 1;
    if (!raw.trim()) continue;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new UsageError(`line ${lineNo} is not JSON`);
    }
    switch (line.kind) {
      case 'header':
        tenantId = String(line.tenantId);
        break;
      case 'event': {
        const entry: LogEntry = {
          id: line.id as string,
          stream: line.stream as string,
          revision: line.revision as number,
          position: line.seq as number,
          type: line.type as string,
          data: line.data,
          metadata: line.metadata as LogEntry['metadata'],
          hash: line.hash as string,
          hashRule: line.hashRule as LogEntry['hashRule'],
          ...(line.prevHash !== undefined ? { prevHash: line.prevHash as string } : {}),
        };
        tenantId ??= entry.metadata?.tenantId ?? null;
        if (!verifier) {
          if (!tenantId) pending.push(entry);
          else verifier = new LogVerifier({ tenantId, keys, externalHeads: options.keptHeads });
        }
        if (verifier) verifier.add(entry);
        break;
      }
      case 'tree-head':
        heads.push(line as unknown as TreeHead);
        break;
      case 'consistency':
        proofs.push(line as unknown as { from: number; to: number; proof: string[] });
        break;
      default:
        break;
    }
  }
  verifier ??= new LogVerifier({ tenantId: tenantId ?? '', keys, externalHeads: options.keptHeads });
  for (const entry of pending) verifier.add(entry);
  const result = verifier.finish();
  // The consistency proofs the export carries: each must link two of its signed heads.
  const bySize = new Map(heads.map((h) => [h.treeSize, h]));
  const failed: { from: number; to: number }[] = [];
  for (const p of proofs) {
    const a = bySize.get(p.from);
    const b = bySize.get(p.to);
    const ok =
      !!a &&
      !!b &&
      verifyConsistency(p.from, p.to, fromHex(a.rootHash), fromHex(b.rootHash), p.proof.map(fromHex));
    if (!ok) failed.push({ from: p.from, to: p.to });
  }
  const keptHeads = (options.keptHeads ?? []).map((h) => ({
    treeSize: h.treeSize,
    rootHash: h.rootHash,
    valid: result.heads.results.some(
      (r) => r.treeSize === h.treeSize && r.rootHash === h.rootHash && r.valid,
    ),
  }));
  const valid = result.valid && failed.length === 0;
  return {
    ...result,
    valid,
    tenantId,
    consistencyProofs: { checked: proofs.length, failed },
    keptHeads,
  };
}

function report(result: OfflineResult): string {
  const out: string[] = [];
  out.push(
    `tenant ${result.tenantId ?? '(unknown)'}: ${result.checkedEvents} events, ${result.heads.checked} signed tree heads`,
  );
  if (result.heads.latestVerified)
    out.push(
      `latest verified head: ${result.heads.latestVerified.treeSize} events, root ${result.heads.latestVerified.rootHash} (${result.heads.latestVerified.timestamp})`,
    );
  if (result.unsignedEvents)
    out.push(`${result.unsignedEvents} events after it are not under a signature yet`);
  out.push(
    `consistency proofs between heads: ${result.consistencyProofs.checked - result.consistencyProofs.failed.length}/${result.consistencyProofs.checked} verify`,
  );
  for (const kept of result.keptHeads)
    out.push(
      `kept head of size ${kept.treeSize}: ${kept.valid ? 'the log is consistent with it' : 'NOT consistent'}`,
    );
  if (result.valid) out.push('VALID: nothing was changed, moved or removed');
  else {
    const first = result.firstInvalid;
    out.push('NOT VALID');
    if (first)
      out.push(
        `first bad event: ${first.seq === null ? `leaf ${first.leafIndex} (past the end)` : `seq ${first.seq}`}${first.stream ? ` (${first.stream}, revision ${first.revision})` : ''} [${first.located}]: ${first.reason}`,
      );
    for (const f of result.consistencyProofs.failed)
      out.push(`consistency proof ${f.from} -> ${f.to} does not verify`);
    if (result.problems.length > 1) out.push(`${result.problems.length} problems in all`);
  }
  return out.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const publicKeys = options.publicKeys.map((f) => readFileSync(f, 'utf8'));
  const keptHeads = options.heads.map((f) => {
    const head = JSON.parse(readFileSync(f, 'utf8')) as TreeHead;
    const problems = treeHeadShapeProblems(head);
    if (problems.length)
      throw new UsageError(
        `${f} is not a tree head: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      );
    return head;
  });
  const lines = createInterface({ input: createReadStream(options.file, 'utf8'), crlfDelay: Infinity });
  const result = await verifyExport(lines, { publicKeys, keptHeads });
  process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : report(result)}\n`);
  return result.valid ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`reprise-verify: ${(error as Error).message}\n`);
      process.exit(2);
    },
  );
}
