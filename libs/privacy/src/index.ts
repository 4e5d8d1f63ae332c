export * from './envelope';
export * from './subject-keys';
export * from './personal-data-protector';
export * from './personal-data-event-store';
export * from './privacy.module';
