/**
 * `npm run bench -- <name>`: runs one benchmark (or all with no name) and prints its figures.
 * Benchmarks are measurements, not pass/fail tests.
 */
import 'reflect-metadata';

const BENCHES: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  'event-store': () => import('./event-store.bench'),
  estate: () => import('./estate.bench'),
  activation: () => import('./activation.bench'),
  audit: () => import('./audit.bench'),
  'sign-in': () => import('./sign-in.bench'),
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const selected = names.length ? names : Object.keys(BENCHES);
  for (const name of selected) {
    const load = BENCHES[name];
    if (!load) {
      console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
      process.exit(2);
    }
    console.log(`\n=== bench: ${name} ===`);
    await (await load()).run();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
