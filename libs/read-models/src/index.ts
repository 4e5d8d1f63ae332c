export * from './estate.queries';
