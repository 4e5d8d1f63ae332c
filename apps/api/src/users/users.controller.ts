import { Body, Controller, Delete, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { PathParam } from '@reprise/common/http/path-params';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import { CreateUserDto, InvitedUserView, UserListView, UserView } from './users.dto';
import { UsersService } from './users.service';

/**
 * Named users: the platform admin invites a tenant's first users, a dr-manager the others of its
 * own tenant; a dr-manager lists and disables them.
 */
@ApiTags('users')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or bad token or session (problem+json)' })
@ApiResponse({ status: 403, description: 'Role forbids, or a session write without x-csrf-token' })
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('tenants/:id/users')
  @Roles('admin')
  @ApiOperation({ summary: "Invite a tenant's user (admin); the invitation token is shown once" })
  @ApiResponse({ status: 201, type: InvitedUserView })
  @ApiResponse({ status: 400, description: 'Invalid fields listed in errors[]' })
  @ApiResponse({ status: 404, description: 'Unknown tenant' })
  @ApiResponse({ status: 409, description: 'The e-mail already has an account (`email-taken`)' })
  inviteToTenant(
    @PathParam('id') tenantId: string,
    @Body() dto: CreateUserDto,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<InvitedUserView> {
    return this.users.invite(tenantId, dto, actor, req);
  }

  @Get('tenants/:id/users')
  @Roles('admin')
  @ApiOperation({ summary: "A tenant's users (admin)" })
  @ApiResponse({ status: 200, type: UserListView })
  listOfTenant(@PathParam('id') tenantId: string): UserListView {
    const items = this.users.list(tenantId);
    return { items, total: items.length };
  }

  @Delete('tenants/:id/users/:userId')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: "Disable a tenant's user (admin): their sessions end at once" })
  @ApiResponse({ status: 200, type: UserView })
  @ApiResponse({ status: 404, description: 'Unknown tenant or user' })
  disableInTenant(
    @PathParam('id') tenantId: string,
    @PathParam('userId') userId: string,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<UserView> {
    return this.users.disable(tenantId, userId, actor, req);
  }

  @Post('users')
  @Roles('dr-manager')
  @ApiOperation({
    summary: 'Invite a user into your tenant (dr-manager); the invitation token is shown once',
  })
  @ApiResponse({ status: 201, type: InvitedUserView })
  @ApiResponse({ status: 400, description: 'Invalid fields listed in errors[]' })
  @ApiResponse({ status: 409, description: 'The e-mail already has an account (`email-taken`)' })
  invite(
    @Body() dto: CreateUserDto,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<InvitedUserView> {
    return this.users.invite(actor.tenantId, dto, actor, req);
  }

  @Get('users')
  @Roles('dr-manager')
  @ApiOperation({ summary: "Your tenant's users (dr-manager)" })
  @ApiResponse({ status: 200, type: UserListView })
  list(@CurrentActor() actor: Actor): UserListView {
    const items = this.users.list(actor.tenantId);
    return { items, total: items.length };
  }

  @Delete('users/:id')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Disable a user of your tenant (dr-manager): their sessions end at once' })
  @ApiResponse({ status: 200, type: UserView })
  @ApiResponse({ status: 404, description: 'Unknown user, or a user of another tenant' })
  @ApiResponse({ status: 422, description: 'You cannot disable yourself (`cannot-disable-yourself`)' })
  disable(
    @PathParam('id') userId: string,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ): Promise<UserView> {
    return this.users.disable(actor.tenantId, userId, actor, req);
  }
}
