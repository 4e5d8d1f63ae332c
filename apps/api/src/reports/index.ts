export { ReportsModule } from './reports.module';
export { ReportsService, type BuiltReport } from './reports.service';
export { renderReportHtml, timelineSvg, esc } from './report.html';
