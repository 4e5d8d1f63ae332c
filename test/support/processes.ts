import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** Path of a built app's entry point (`npm test` builds first). */
export const appEntry = (name: 'api' | 'worker' | 'recovery-cloud') =>
  join(ROOT, 'dist', 'apps', name, 'src', 'main.js');

/** Runs a built app to completion (for start-up failures) and returns its exit code and output. */
export function runToExit(
  name: 'api' | 'worker' | 'recovery-cloud',
  env: Record<string, string>,
  timeoutMs = 15_000,
) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [appEntry(name)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export { freePort } from '../../scripts/demo/processes';
