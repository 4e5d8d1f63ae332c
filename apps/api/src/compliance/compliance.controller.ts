import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles, type Actor } from '../auth';
import { ComplianceService } from './compliance.service';

@ApiTags('test schedules')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or bad token' })
@ApiResponse({ status: 403, description: 'Not a tenant key' })
@Controller('compliance')
export class ComplianceController {
  constructor(private readonly compliance: ComplianceService) {}

  @Get()
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({
    summary:
      "Each active server's last successful test, next due date (drp: 6 months, backup-with-tests: 12 months, backup-only: none) and whether it is overdue",
  })
  @ApiOkResponse({
    description:
      '{asOf, servers: [{serverId, hostname, protectionClass, lastTestedAt, lastActivationId, nextDueAt, overdue, dueSoon, reprotection: {dueSince, fullRestorePointAt, due} | null}]}: `reprotection` after a failback, until a new full restore point is taken',
  })
  get(@CurrentActor() actor: Actor) {
    return this.compliance.compliance(actor.tenantId);
  }
}
