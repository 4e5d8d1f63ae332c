import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import type { Response } from 'express';
import type { RequestMeta, Submitted } from '../model/cloud-model';
import { RecoveryCloudState } from '../recovery-cloud.state';
import { ChaosInterceptor } from './chaos.interceptor';
import {
  CreateServerDto,
  GuestRunDto,
  ProbeDto,
  NcaDto,
  NetworkDto,
  RegisterServerDto,
  ActivationScopedDto,
  ReplicaDto,
  RestoreDiskDto,
  ReverseDeltaDto,
  ReverseServerDto,
  VpnDto,
} from './dto';
import { ProviderRequest } from './request-meta.decorator';
import { operationView, resourceView } from './views';

/**
 * The provider API of the simulated recovery cloud. Every mutating call needs an
 * `Idempotency-Key` and answers `202` with an operation to poll at `/cloud/v1/operations/:id`.
 */
@Controller('cloud/v1')
@UseInterceptors(ChaosInterceptor)
export class CloudController {
  constructor(private readonly state: RecoveryCloudState) {}

  private accepted(res: Response, submitted: Submitted) {
    res.status(202);
    if (submitted.replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.setHeader('Location', `/cloud/v1/operations/${submitted.operation.id}`);
    return operationView(submitted.operation);
  }

  @Get('operations/:operationId')
  getOperation(@Param('operationId') id: string) {
    const op = this.state.model.getOperation(id, this.state.now());
    if (!op)
      throw new NotFoundException({ code: 'operation-not-found', message: `operation ${id} does not exist` });
    return operationView(op);
  }

  @Get('capacity')
  capacity() {
    return this.state.model.getCapacity(this.state.now());
  }

  @Post('tenants/:tenantId/protected-servers')
  register(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: RegisterServerDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.registerServer(meta, body, this.state.now()));
  }

  @Get('tenants/:tenantId/backup-freshness')
  freshness(@Param('tenantId') tenantId: string) {
    const items = this.state.model.backupFreshness(tenantId, this.state.now());
    return { items, total: items.length };
  }

  @Get('tenants/:tenantId/protected-servers/:serverId/restore-points')
  restorePoints(@Param('tenantId') tenantId: string, @Param('serverId') serverId: string) {
    const items = this.state.model.listRestorePoints(tenantId, serverId, this.state.now());
    return { items, total: items.length, newest: items.length ? items[items.length - 1] : null };
  }

  @Post('tenants/:tenantId/restores')
  restore(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: RestoreDiskDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.restoreDisk(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/servers')
  createServer(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: CreateServerDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.createServer(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/servers/:vmId/power-on')
  powerOn(
    @ProviderRequest() meta: RequestMeta,
    @Param('vmId') vmId: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.powerOn(meta, vmId, this.state.now()));
  }

  @Post('tenants/:tenantId/servers/:vmId/analyse')
  analyse(
    @ProviderRequest() meta: RequestMeta,
    @Param('vmId') vmId: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.analyse(meta, vmId, this.state.now()));
  }

  @Post('tenants/:tenantId/servers/:vmId/guest-run')
  guestRun(
    @ProviderRequest() meta: RequestMeta,
    @Param('vmId') vmId: string,
    @Body() body: GuestRunDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.guestRun(meta, vmId, body, this.state.now()));
  }

  @Post('tenants/:tenantId/servers/:vmId/probe')
  probe(
    @ProviderRequest() meta: RequestMeta,
    @Param('vmId') vmId: string,
    @Body() body: ProbeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.probe(meta, vmId, body, this.state.now()));
  }

  @Post('tenants/:tenantId/networks')
  network(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: NetworkDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.createNetwork(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/ncas')
  nca(@ProviderRequest() meta: RequestMeta, @Body() body: NcaDto, @Res({ passthrough: true }) res: Response) {
    return this.accepted(res, this.state.model.createNca(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/vpns')
  vpn(@ProviderRequest() meta: RequestMeta, @Body() body: VpnDto, @Res({ passthrough: true }) res: Response) {
    return this.accepted(res, this.state.model.createVpn(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/replicas/power-on')
  replica(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: ReplicaDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.powerOnReplica(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/luns/present')
  lun(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: ReplicaDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.presentLun(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/activations/:activationId/teardown')
  @HttpCode(202)
  teardown(
    @ProviderRequest() meta: RequestMeta,
    @Param('activationId') activationId: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.teardown(meta, activationId, this.state.now()));
  }

  @Get('tenants/:tenantId/original-site')
  originalSite(@Param('tenantId') tenantId: string) {
    return this.state.model.originalSite(tenantId);
  }

  /** Per server of the activation: change rate, data changed at the recovery site, what arrived back. */
  @Get('tenants/:tenantId/activations/:activationId/replication')
  replication(@Param('tenantId') tenantId: string, @Param('activationId') activationId: string) {
    const items = this.state.model.replicationStatus(tenantId, activationId, this.state.now());
    return { items, total: items.length };
  }

  @Post('tenants/:tenantId/reverse-replications')
  reverseSync(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: ReverseServerDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.startReverseSync(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/reverse-replications/deltas')
  reverseDelta(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: ReverseDeltaDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.reverseDelta(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/servers/:vmId/stop')
  stopServer(
    @ProviderRequest() meta: RequestMeta,
    @Param('vmId') vmId: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.stopServer(meta, vmId, this.state.now()));
  }

  @Post('tenants/:tenantId/original-site/starts')
  startAtOriginal(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: ReverseServerDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.startAtOriginal(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/original-site/stops')
  stopAtOriginal(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: ReverseServerDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.stopAtOriginal(meta, body, this.state.now()));
  }

  @Post('tenants/:tenantId/original-site/reconnections')
  reconnectUsers(
    @ProviderRequest() meta: RequestMeta,
    @Body() body: ActivationScopedDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.accepted(res, this.state.model.reconnectUsers(meta, body, this.state.now()));
  }

  @Get('tenants/:tenantId/resources')
  resources(
    @Param('tenantId') tenantId: string,
    @Query('activationId') activationId?: string,
    @Query('serverId') serverId?: string,
  ) {
    const items = this.state.model
      .listResources(
        { tenantId, activationId: activationId || undefined, serverId: serverId || undefined },
        this.state.now(),
      )
      .map(resourceView);
    return { items, total: items.length };
  }

  @Get('tenants/:tenantId/operations')
  operations(@Param('tenantId') tenantId: string, @Query('activationId') activationId?: string) {
    const items = this.state.model
      .listOperations({ tenantId, activationId: activationId || undefined }, this.state.now())
      .map(operationView);
    return { items, total: items.length };
  }
}
