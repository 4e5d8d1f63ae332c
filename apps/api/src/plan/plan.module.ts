import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { EstateModule } from '../estate/estate.module';
import { PlanController } from './plan.controller';
import { RunbookController } from './runbook.controller';
import { PlanService } from './plan.service';
import { ReadinessCheckRegistry } from './readiness-check';

@Module({
  imports: [EstateModule, AuthModule],
  controllers: [PlanController, RunbookController],
  providers: [PlanService, ReadinessCheckRegistry],
  exports: [PlanService, ReadinessCheckRegistry],
})
export class PlanModule {}
