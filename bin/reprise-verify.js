#!/usr/bin/env node
// `npx reprise-verify`: the offline verifier of audit exports (libs/audit-log/src/cli/reprise-verify.ts).
const path = require('node:path');
const built = path.join(__dirname, '..', 'dist', 'libs', 'audit-log', 'src', 'cli', 'reprise-verify.js');
try {
  require.resolve(built);
} catch {
  process.stderr.write('reprise-verify: not built yet; run `npm run build` first\n');
  process.exit(2);
}
process.argv.splice(1, 1, built);
require(built).main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`reprise-verify: ${error.message}\n`);
    process.exit(2);
  },
);
