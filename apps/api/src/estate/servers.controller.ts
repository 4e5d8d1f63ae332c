import { Body, Controller, Delete, Get, Headers, HttpCode, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { nameRule, PathParam } from '@reprise/common/http/path-params';
import type { Request, Response } from 'express';
import { validationError } from '@reprise/domain/shared/errors';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import { ifMatchVersion } from '../auth/if-match';
import { csvToRows } from './csv';
import {
  ChangeOsDto,
  CreateServerDto,
  DependenciesDto,
  DISK_NAME_MAX,
  DiskDto,
  HistoryEntryView,
  ImportQuery,
  ListServersQuery,
  ProtectionClassDto,
  RecoveryObjectivesDto,
  ResizeDiskDto,
  ServerListView,
  ServerView,
  TemplateDto,
} from './dto/server.dto';
import { EstateService } from './estate.service';

const DISK_NAME = nameRule(DISK_NAME_MAX);

const IF_MATCH = {
  name: 'if-match',
  required: false,
  description: 'Expected version; 409 when the server changed since',
};

@ApiTags('estate: servers')
@ApiHeader(IF_MATCH)
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({
  status: 403,
  description: 'Role may not do this (auditor and scheduler cannot change the estate)',
})
@Controller('servers')
export class ServersController {
  constructor(private readonly estate: EstateService) {}

  @Post()
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Enrol a protected server' })
  @ApiResponse({ status: 201, type: ServerView })
  @ApiResponse({ status: 400, description: 'Invalid fields, every one listed in errors[]' })
  @ApiResponse({ status: 409, description: 'Hostname already used in this tenant' })
  @ApiResponse({ status: 413, description: 'Body over 1 MB' })
  @ApiResponse({
    status: 422,
    description:
      'Rule broken: agentless off VMware/Hyper-V, OS outside the agent matrix, unknown application agent, unknown dependency, drp → non-drp',
  })
  enrol(
    @Body() dto: CreateServerDto,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<ServerView> {
    return this.estate.enrol(actor, req, dto);
  }

  @Get()
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({ summary: "The tenant's servers, filtered by protection class and status" })
  @ApiResponse({ status: 200, type: ServerListView })
  list(@Query() query: ListServersQuery, @CurrentActor() actor: Actor): ServerListView {
    return this.estate.list(actor.tenantId, query);
  }

  @Get(':id')
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({ summary: 'A server (404 for another tenant)' })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({ status: 404, description: 'Unknown server or another tenant' })
  get(@PathParam('id') id: string, @CurrentActor() actor: Actor): ServerView {
    return this.estate.get(actor.tenantId, id);
  }

  @Get(':id/history')
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({ summary: 'Every evolution of the server in order, with who made it' })
  @ApiResponse({ status: 200, type: [HistoryEntryView] })
  history(@PathParam('id') id: string, @CurrentActor() actor: Actor): Promise<HistoryEntryView[]> {
    return this.estate.history(actor.tenantId, id);
  }

  @Put(':id/protection-class')
  @Roles('dr-manager')
  @ApiOperation({
    summary:
      'Change protection class (422 when drp servers depend on it, or when a drp server would depend on non-drp ones)',
  })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({ status: 409, description: 'If-Match mismatch, or server archived/decommissioned' })
  @ApiResponse({ status: 422, description: 'drp dependency rule' })
  changeClass(
    @PathParam('id') id: string,
    @Body() dto: ProtectionClassDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.changeEstateWide(
      actor,
      req,
      id,
      () => ({ type: 'ChangeProtectionClass', serverId: id, protectionClass: dto.protectionClass }),
      ifMatchVersion(ifMatch),
    );
  }

  @Put(':id/dependencies')
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Replace the boot dependencies (hostnames of servers that must be up first)' })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({
    status: 422,
    description: 'Unknown server, drp → non-drp, or a cycle (body.cycle names it in order)',
  })
  changeDependencies(
    @PathParam('id') id: string,
    @Body() dto: DependenciesDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.changeEstateWide(
      actor,
      req,
      id,
      () => ({ type: 'ChangeDependencies', serverId: id, dependsOn: dto.dependsOn }),
      ifMatchVersion(ifMatch),
    );
  }

  @Put(':id/template')
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Change the recovery template (vCPU, RAM)' })
  @ApiResponse({ status: 200, type: ServerView })
  changeTemplate(
    @PathParam('id') id: string,
    @Body() dto: TemplateDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.change(
      actor,
      req,
      id,
      () => ({ type: 'ChangeTemplate', template: { vcpu: dto.vcpu, ramGiB: dto.ramGiB } }),
      { expectedVersion: ifMatchVersion(ifMatch) },
    );
  }

  @Post(':id/disks')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Add a disk' })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({ status: 409, description: 'A disk with this name exists' })
  addDisk(
    @PathParam('id') id: string,
    @Body() dto: DiskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.change(
      actor,
      req,
      id,
      () => ({ type: 'AddDisk', disk: { name: dto.name, sizeGiB: dto.sizeGiB } }),
      { expectedVersion: ifMatchVersion(ifMatch) },
    );
  }

  @Put(':id/disks/:name')
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Resize a disk' })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({ status: 404, description: 'No such disk' })
  resizeDisk(
    @PathParam('id') id: string,
    @PathParam('name', DISK_NAME) name: string,
    @Body() dto: ResizeDiskDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.change(actor, req, id, () => ({ type: 'ResizeDisk', name, sizeGiB: dto.sizeGiB }), {
      expectedVersion: ifMatchVersion(ifMatch),
    });
  }

  @Delete(':id/disks/:name')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Remove a disk (422 for the last one)' })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({ status: 404, description: 'No such disk' })
  @ApiResponse({ status: 422, description: 'The last disk' })
  removeDisk(
    @PathParam('id') id: string,
    @PathParam('name', DISK_NAME) name: string,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.change(actor, req, id, () => ({ type: 'RemoveDisk', name }), {
      expectedVersion: ifMatchVersion(ifMatch),
    });
  }

  @Put(':id/os')
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Change the OS (and optionally the backup mode); the agent matrix applies' })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({ status: 422, description: 'OS outside the agent matrix, or agentless off VMware/Hyper-V' })
  changeOs(
    @PathParam('id') id: string,
    @Body() dto: ChangeOsDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.change(
      actor,
      req,
      id,
      (now) => ({
        type: 'ChangeOs',
        os: { family: dto.family, name: dto.name, version: dto.version },
        backupMode: dto.backupMode,
        now,
      }),
      { expectedVersion: ifMatchVersion(ifMatch) },
    );
  }

  @Put(':id/recovery-objectives')
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Change RTO/RPO targets and recovery method' })
  @ApiResponse({ status: 200, type: ServerView })
  changeObjectives(
    @PathParam('id') id: string,
    @Body() dto: RecoveryObjectivesDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.change(actor, req, id, () => ({ type: 'ChangeRecoveryObjectives', ...dto }), {
      expectedVersion: ifMatchVersion(ifMatch),
    });
  }

  @Post(':id/archive')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Archive the server (out of the plan, data kept, hostname still held)' })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({ status: 409, description: 'Other servers depend on it (body.dependents)' })
  archive(
    @PathParam('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.changeEstateWide(
      actor,
      req,
      id,
      (now) => ({ type: 'ArchiveServer', serverId: id, now }),
      ifMatchVersion(ifMatch),
    );
  }

  @Delete(':id')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Decommission the server: history kept, hostname free for reuse' })
  @ApiResponse({ status: 200, type: ServerView })
  @ApiResponse({
    status: 409,
    description: 'Other servers depend on it (body.dependents), or already decommissioned',
  })
  decommission(
    @PathParam('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.changeEstateWide(
      actor,
      req,
      id,
      (now) => ({ type: 'DecommissionServer', serverId: id, now }),
      ifMatchVersion(ifMatch),
    );
  }
}

/** `POST /servers:import` (a custom method on the collection, AIP-136 style; the colon is escaped for path-to-regexp). */
@ApiTags('estate: servers')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({ status: 403, description: 'Only dr-manager may import' })
@Controller()
export class ServersImportController {
  constructor(private readonly estate: EstateService) {}

  @Post('servers\\:import')
  @Roles('dr-manager')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Bulk onboarding: a JSON array of servers (POST /servers bodies) or an inventory CSV; all rows are validated first, then all or none are enrolled',
    description:
      'CSV header columns: hostname,kind,platform,osFamily,osName,osVersion,backupMode,vcpu,ramGiB,disks,protectionClass[,dependsOn,rtoMinutes,rpoMinutes,recoveryMethod,applications]. disks = "name:sizeGiB;name:sizeGiB", dependsOn = "host;host", applications = "kind:version;...".',
  })
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({ type: [CreateServerDto] })
  @ApiResponse({ status: 201, description: '{imported, items: [{id, hostname, version}]}' })
  @ApiResponse({
    status: 400,
    description: 'Invalid rows: errors[] with "[row].field", rows[] grouped per row; nothing imported',
  })
  @ApiResponse({
    status: 409,
    description: 'Duplicate hostnames (in the batch or the tenant); nothing imported',
  })
  @ApiResponse({ status: 422, description: 'Rules broken (incl. cycles across the batch); nothing imported' })
  @ApiResponse({
    status: 200,
    description:
      '`?validateOnly=true`: every check passed; `{validateOnly, imported: 0, items}` lists what would be enrolled, nothing is written',
  })
  import(
    @Body() body: unknown,
    @Query() query: ImportQuery,
    @Res({ passthrough: true }) res: Response,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    // Only JSON and CSV reach here (the content types it declares): a string is the CSV.
    const rows = typeof body === 'string' ? csvToRows(body) : body;
    if (!Array.isArray(rows))
      throw validationError(
        'invalid-import',
        'the body must be a JSON array of servers or a text/csv inventory',
        [{ field: 'body', message: 'must be an array' }],
      );
    const validateOnly = query.validateOnly === 'true';
    if (validateOnly) res.status(200);
    return this.estate.import(actor, req, rows, { validateOnly });
  }
}
