export * from './config/environment';
export * from './config/config.module';
export * from './logging/logging.module';
export * from './clock/system-clock';
export * from './clock/clock.module';
