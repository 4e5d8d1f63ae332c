export * from './job-registry';
