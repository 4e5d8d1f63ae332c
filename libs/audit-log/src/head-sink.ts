import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TreeHead } from './tree-head';

/**
 * The file sink of signed tree heads: `<dir>/<tenantId>/<treeSize padded>.json`, one file per head,
 * written whole (aside, then renamed). Point it at storage the event store's administrators cannot
 * rewrite (another host, a WORM bucket mount): verification reads it back.
 */
export function headFile(dir: string, head: Pick<TreeHead, 'tenantId' | 'treeSize'>): string {
  return join(dir, head.tenantId, `${String(head.treeSize).padStart(12, '0')}.json`);
}

export function writeSinkHead(dir: string, head: TreeHead & Record<string, unknown>): string {
  const file = headFile(dir, head);
  mkdirSync(join(dir, head.tenantId), { recursive: true });
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, `${JSON.stringify(head, null, 2)}\n`);
  renameSync(aside, file);
  return file;
}

/** Every head of a tenant found in the sink (unreadable files are reported, not skipped silently). */
export function readSinkHeads(dir: string, tenantId: string): { heads: TreeHead[]; unreadable: string[] } {
  const heads: TreeHead[] = [];
  const unreadable: string[] = [];
  let names: string[];
  try {
    names = readdirSync(join(dir, tenantId));
  } catch {
    return { heads, unreadable };
  }
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      heads.push(JSON.parse(readFileSync(join(dir, tenantId, name), 'utf8')) as TreeHead);
    } catch {
      unreadable.push(name);
    }
  }
  return { heads, unreadable };
}
