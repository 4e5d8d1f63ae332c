import { Body, Controller, Delete, Get, Headers, HttpCode, Patch, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PathParam } from '@reprise/common/http/path-params';
import type { Request } from 'express';
import { notFound } from '@reprise/domain/shared/errors';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import { ifMatchVersion } from '../auth/if-match';
import {
  ApiKeyView,
  CreateApiKeyDto,
  CreateTenantDto,
  IssuedApiKeyView,
  TenantView,
  UpdateTenantDto,
} from './tenants.dto';
import { TenantsService } from './tenants.service';

@ApiTags('platform: tenants')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({ status: 403, description: 'Not the platform admin token (problem+json)' })
@Controller('tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Onboard a tenant (admin)' })
  @ApiResponse({ status: 201, type: TenantView })
  @ApiResponse({ status: 400, description: 'Invalid fields listed in errors[]' })
  @ApiResponse({ status: 409, description: 'Customer number already used' })
  create(
    @Body() dto: CreateTenantDto,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<TenantView> {
    return this.tenants.create(dto, actor, req);
  }

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'List tenants (admin)' })
  list(): { items: TenantView[]; total: number } {
    const items = this.tenants.list();
    return { items, total: items.length };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A tenant (admin, or a key of that tenant; another tenant answers 404)' })
  @ApiResponse({ status: 200, type: TenantView })
  @ApiResponse({ status: 404, description: 'Unknown tenant, or another tenant' })
  get(@PathParam('id') id: string, @CurrentActor() actor: Actor): TenantView {
    if (actor.role !== 'admin' && actor.tenantId !== id) throw notFound('tenant', id);
    return this.tenants.get(id);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({
    summary: 'Change time zone, activation window, webhook or name (admin); If-Match supported',
  })
  @ApiResponse({ status: 200, type: TenantView })
  @ApiResponse({ status: 409, description: 'If-Match version mismatch' })
  update(
    @PathParam('id') id: string,
    @Body() dto: UpdateTenantDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<TenantView> {
    return this.tenants.update(id, dto, actor, req, ifMatchVersion(ifMatch));
  }

  @Post(':id/api-keys')
  @Roles('admin')
  @ApiOperation({ summary: 'Issue an API key bound to this tenant and one role; the token is shown once' })
  @ApiResponse({ status: 201, type: IssuedApiKeyView })
  @ApiResponse({ status: 404, description: 'Unknown tenant' })
  issueKey(
    @PathParam('id') id: string,
    @Body() dto: CreateApiKeyDto,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<IssuedApiKeyView> {
    return this.tenants.issueKey(id, dto, actor, req);
  }

  @Get(':id/api-keys')
  @Roles('admin')
  @ApiOperation({ summary: 'List the tenant API keys (never the tokens)' })
  listKeys(@PathParam('id') id: string): { items: ApiKeyView[]; total: number } {
    const items = this.tenants.listKeys(id);
    return { items, total: items.length };
  }

  @Delete(':id/api-keys/:keyId')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Revoke an API key (its token answers 401 from now on)' })
  @ApiResponse({ status: 200, type: ApiKeyView })
  @ApiResponse({ status: 404, description: 'Unknown tenant or key' })
  revokeKey(
    @PathParam('id') id: string,
    @PathParam('keyId') keyId: string,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<ApiKeyView> {
    return this.tenants.revokeKey(id, keyId, actor, req);
  }
}
