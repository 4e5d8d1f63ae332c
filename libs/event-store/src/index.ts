export * from './event-store.port';

export * from './sqlite/sqlite-event-store';
export * from './esdb/esdb-event-store';
export * from './event-store.module';
export * from './command-handling';
export * from './projections/projection-runner';
export * from './aggregate-executor';
