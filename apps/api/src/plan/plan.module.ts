import { Module } from '@nestjs/common';
import { EstateModule } from '../estate/estate.module';
import { PlanController } from './plan.controller';
import { PlanService } from './plan.service';
import { ReadinessCheckRegistry } from './readiness-check';

@Module({
  imports: [EstateModule],
  controllers: [PlanController],
  providers: [PlanService, ReadinessCheckRegistry],
  exports: [PlanService, ReadinessCheckRegistry],
})
export class PlanModule {}
