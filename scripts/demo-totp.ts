/**
 * `npm run demo:totp [-- name]`: the current sign-in code of the demo's console users (from the last
 * `npm run demo`), with how long it stays valid. `--watch` refreshes it until Ctrl-C.
 */
import { join, resolve } from 'node:path';
import { readDemoUsers, totpNow } from './demo/console-users';

const dataDir = resolve(process.env.DEMO_DATA_DIR ?? join('data', 'demo'));
const args = process.argv.slice(2);
const watch = args.includes('--watch');
const filter = args.find((a) => !a.startsWith('--'))?.toLowerCase();

function lines(): string[] {
  return readDemoUsers(dataDir)
    .filter((u) => !filter || u.email.includes(filter) || u.name.toLowerCase().includes(filter))
    .map((u) => {
      const { code, secondsLeft } = totpNow(u.totpSecret);
      return `${u.name.padEnd(14)} ${u.email.padEnd(40)} TOTP ${code}  (${String(secondsLeft).padStart(2)} s left)`;
    });
}

try {
  if (!watch) console.log(lines().join('\n'));
  else {
    let shown = 0;
    const draw = () => {
      const out = lines();
      if (shown) process.stdout.write(`\x1b[${shown}A`);
      process.stdout.write(out.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
      shown = out.length;
    };
    draw();
    setInterval(draw, 1000);
    process.on('SIGINT', () => process.exit(0));
  }
} catch (error) {
  console.error(`No demo users in ${dataDir} (${(error as Error).message}): run \`npm run demo\` first.`);
  process.exit(1);
}
