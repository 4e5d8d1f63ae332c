import { Body, Controller, Delete, Get, Headers, HttpCode, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PathParam } from '@reprise/common/http/path-params';
import { IsIn, IsOptional } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { CurrentActor, ifMatchVersion, metadataFor, Roles, type Actor, type RequestWithActor } from '../auth';
import { CancelTestScheduleDto, CreateTestScheduleDto, TestScheduleView } from './schedules.dto';
import { SchedulesService } from './schedules.service';

export class ListTestSchedulesQuery {
  @ApiPropertyOptional({ enum: ['scheduled', 'started', 'failed-to-start', 'cancelled', 'finished'] })
  @IsOptional()
  @IsIn(['scheduled', 'started', 'failed-to-start', 'cancelled', 'finished'])
  status?: string;

  @ApiPropertyOptional({ enum: ['drp-test', 'restore-test'] })
  @IsOptional()
  @IsIn(['drp-test', 'restore-test'])
  kind?: string;
}

@ApiTags('test schedules')
@ApiBearerAuth()
@ApiResponse({ status: 400, description: 'Invalid input (problem+json listing every invalid field)' })
@ApiResponse({ status: 401, description: 'No or bad token' })
@ApiResponse({ status: 403, description: 'Role forbids (auditors read only)' })
@Controller('test-schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @Post()
  @HttpCode(201)
  @Roles('scheduler', 'dr-manager')
  @ApiOperation({
    summary:
      'Plan a DRP test or a restore test, agreed at least 30 days ahead; the scheduler starts it by itself',
  })
  @ApiCreatedResponse({ type: TestScheduleView })
  @ApiResponse({ status: 422, description: '`too-soon` (less than 30 days ahead) or `scope-refused`' })
  create(@CurrentActor() actor: Actor, @Body() body: CreateTestScheduleDto, @Req() req: RequestWithActor) {
    return this.schedules.create(actor, body, metadataFor(actor, req));
  }

  @Get()
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({ summary: "The tenant's test schedules (planned, started, cancelled, finished), by date" })
  @ApiOkResponse({ description: '{items: TestScheduleView[], total}' })
  list(@CurrentActor() actor: Actor, @Query() query: ListTestSchedulesQuery) {
    return this.schedules.list(actor.tenantId, query);
  }

  @Get(':id')
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOkResponse({ type: TestScheduleView })
  @ApiResponse({ status: 404, description: 'Not found or belongs to another tenant' })
  get(@CurrentActor() actor: Actor, @PathParam('id') id: string) {
    return this.schedules.get(actor.tenantId, id);
  }

  @Delete(':id')
  @HttpCode(200)
  @Roles('scheduler', 'dr-manager')
  @ApiOperation({
    summary: 'Cancel a planned test (200 with status cancelled; cancelling again changes nothing)',
  })
  @ApiOkResponse({ type: TestScheduleView })
  @ApiResponse({ status: 404, description: 'Not found or belongs to another tenant' })
  @ApiResponse({ status: 409, description: 'Already started, or If-Match mismatch' })
  cancel(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: CancelTestScheduleDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: RequestWithActor,
  ) {
    return this.schedules.cancel(actor, id, body ?? {}, metadataFor(actor, req), ifMatchVersion(ifMatch));
  }
}
