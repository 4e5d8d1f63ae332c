// One jest configuration for the whole suite: unit (*.unit.spec.ts, pure), integration
// (*.int.spec.ts, one component with its real store/queue) and end-to-end (*.e2e.spec.ts,
// the apps over HTTP with real SQLite and Redis).
const fs = require('fs');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.$schema;

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testRegex: '.*\\.(unit|int|e2e)\\.spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest', swcrc] },
  moduleNameMapper: {
    '^@reprise/([a-z-]+)$': '<rootDir>/libs/$1/src',
    '^@reprise/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  setupFiles: ['reflect-metadata'],
  // Every test queue prefix starts with the run's name; the teardown fails the run on leftover keys.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
};
