import { Module } from '@nestjs/common';
import { ActivationsModule } from '../activations/activations.module';
import { EstateModule } from '../estate/estate.module';
import { PlanModule } from '../plan/plan.module';
import { ComplianceController } from './compliance.controller';
import { ComplianceService } from './compliance.service';

@Module({
  imports: [EstateModule, ActivationsModule, PlanModule],
  controllers: [ComplianceController],
  providers: [ComplianceService],
  exports: [ComplianceService],
})
export class ComplianceModule {}
