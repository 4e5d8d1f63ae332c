import { Module } from '@nestjs/common';
import { ActivationsModule } from '../activations/activations.module';
import { EstateModule } from '../estate/estate.module';
import { PlanModule } from '../plan/plan.module';
import { RecoveryCloudClientModule } from '../recovery-space/recovery-cloud-client.module';
import { ComplianceController } from './compliance.controller';
import { ComplianceService } from './compliance.service';
import { ReprotectionService } from './reprotection.service';

@Module({
  imports: [EstateModule, ActivationsModule, PlanModule, RecoveryCloudClientModule],
  controllers: [ComplianceController],
  providers: [ComplianceService, ReprotectionService],
  exports: [ComplianceService],
})
export class ComplianceModule {}
