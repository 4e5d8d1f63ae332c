export * from './estate.queries';
export * from './audit-trees';
