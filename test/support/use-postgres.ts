// Imported first by a spec file that re-runs another suite on the PostgreSQL event store: every stack
// the suite starts (without its own `eventStore` choice) then gets a fresh PostgreSQL schema.
process.env.REPRISE_TEST_EVENT_STORE = 'postgres';
