// The DRP test scenario of drp-test.e2e.spec.ts, unchanged, on the PostgreSQL event store (api and
// worker reading and writing it, read models rebuilt from it, reports and verification on it).
import '../support/use-postgres';
import './drp-test.e2e.spec';
