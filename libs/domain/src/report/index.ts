export * from './report.types';
export { buildReport, correctiveActions, timeline } from './build-report';
