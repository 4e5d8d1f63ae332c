// The npm registry reachable from the build machines does not serve the macOS/Windows/other-CPU
// builds of a few native packages, so `npm install` leaves them out of package-lock.json and
// `npm ci` then refuses the lock. This records each missing optional platform package with its
// os/cpu restriction (exactly what npm writes on a machine that can see them); npm skips them on
// any other platform without downloading anything. Run after `npm install` if the lock is rebuilt.
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages;
const platformOf = (name) => {
  const m =
    /(darwin|linux|win32|freebsd|android)-(x64|arm64|arm|ia32|ppc64|s390x|riscv64)(?:-(gnu|musl|msvc|gnueabihf))?$/.exec(
      name,
    );
  if (!m) return null;
  const [, os, cpu, abi] = m;
  return {
    os: [os],
    cpu: [cpu],
    ...(abi === 'gnu' || abi === 'gnueabihf'
      ? { libc: ['glibc'] }
      : abi === 'musl'
        ? { libc: ['musl'] }
        : {}),
  };
};
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    packages[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
    process.stdout.write(
      `recorded ${dep}@${version} (${platform.os}/${platform.cpu}) for ${path || 'root'}\n`,
    );
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`${added} platform package(s) recorded\n`);
