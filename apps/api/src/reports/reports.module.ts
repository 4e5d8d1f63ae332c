import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/** DRP test reports: `GET /activations/:id/report` (JSON or printable HTML), built from events, with their proof. */
@Module({
  imports: [AuditModule],
  controllers: [ReportsController],
  providers: [ReportsService],
  exports: [ReportsService],
})
export class ReportsModule {}
