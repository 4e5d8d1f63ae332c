export * from './schedule.decider';
export * from './compliance';
