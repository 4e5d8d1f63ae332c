export * from './types';
export * from './errors';
export * from './recovery-cloud.port';
export * from './http-recovery-cloud';
export * from './simulated-clock';
export * from './clock-check';
