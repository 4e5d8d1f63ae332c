import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Environment } from './environment';

/** Where a process keeps a file of its own next to the event store (dev secrets, sinks, key store). */
export const besideStore = (env: Environment, name: string): string => join(dirname(env.SQLITE_PATH), name);

/**
 * A secret from configuration, or (outside production) one generated on first start and kept in a
 * file, so every process and every restart uses the same. Two processes starting together create
 * it once: the file appears whole (written aside, then linked into place) and the first link wins.
 */
export function configuredOrKeptSecret(
  configured: string | undefined,
  file: string,
  generate: () => string,
): { value: string; generated: boolean } {
  if (configured) return { value: configured, generated: false };
  try {
    return { value: readFileSync(file, 'utf8'), generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true });
  const value = generate();
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, value, { mode: 0o600 });
  try {
    linkSync(aside, file);
    return { value, generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { value: readFileSync(file, 'utf8'), generated: false };
    throw error;
  } finally {
    unlinkSync(aside);
  }
}
