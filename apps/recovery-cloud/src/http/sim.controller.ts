import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Post, Put } from '@nestjs/common';
import { mergeConfig } from '../model/config';
import { RecoveryCloudState } from '../recovery-cloud.state';
import {
  AdvanceClockDto,
  ErrorBurstDto,
  FaultDto,
  OriginalSiteDto,
  OutageDto,
  ResetDto,
  SetClockDto,
  StaleBackupsDto,
} from './dto';

/** Control plane of the simulator (tests, demo, DR rehearsals). No auth: loopback only. */
@Controller('sim/v1')
export class SimController {
  constructor(private readonly state: RecoveryCloudState) {}

  @Get('clock')
  clock() {
    return this.state.clock.snapshot();
  }

  @Post('clock/advance')
  @HttpCode(200)
  advance(@Body() body: AdvanceClockDto) {
    this.state.clock.advance(body.minutes * 60_000);
    return this.state.clock.snapshot();
  }

  @Put('clock')
  setClock(@Body() body: SetClockDto) {
    this.state.clock.set({ atMs: body.at ? Date.parse(body.at) : undefined, scale: body.scale });
    return this.state.clock.snapshot();
  }

  @Get('config')
  getConfig() {
    return this.state.model.getConfig();
  }

  /** Deep-merges the body over the current config; 422 naming every problem (e.g. > 32 hosts). */
  @Put('config')
  setConfig(@Body() body: Record<string, unknown>) {
    const next = mergeConfig(this.state.model.getConfig(), body ?? {});
    return this.state.model.setConfig(next, this.state.now());
  }

  /** The customers' original site: `down` during the disaster, `up` once it works again. */
  @Put('original-site')
  setOriginalSite(@Body() body: OriginalSiteDto) {
    return this.state.model.setOriginalSite(body.state, body.tenantId);
  }

  @Get('original-site')
  originalSite() {
    return this.state.model.originalSites();
  }

  @Post('faults')
  @HttpCode(201)
  addFault(@Body() body: FaultDto) {
    return this.state.model.addFault(body);
  }

  @Get('faults')
  faults() {
    return { items: this.state.model.listFaults() };
  }

  @Delete('faults')
  @HttpCode(204)
  clearFaults(): void {
    this.state.model.clearFaults();
  }

  @Post('chaos/errors')
  @HttpCode(201)
  errorBurst(@Body() body: ErrorBurstDto) {
    this.state.addErrorBurst(body.count, body.status ?? 503, body.phase ?? 'before');
    return { count: body.count, status: body.status ?? 503, phase: body.phase ?? 'before' };
  }

  @Delete('chaos')
  @HttpCode(204)
  clearChaos(): void {
    this.state.clearChaos();
  }

  @Post('outage')
  @HttpCode(201)
  outage(@Body() body: OutageDto) {
    return this.state.startOutage(body.seconds, body.mode ?? 'drop');
  }

  @Delete('outage')
  @HttpCode(204)
  endOutage(): void {
    this.state.endOutage();
  }

  @Post('backups/stale')
  @HttpCode(200)
  staleBackups(@Body() body: StaleBackupsDto) {
    const model = this.state.model;
    const now = this.state.now();
    const matches = model.findServersByHostname(body.hostname, body.tenantId);
    if (matches.length === 0)
      throw new NotFoundException({
        code: 'server-not-registered',
        message: `no protected server with hostname ${body.hostname}`,
      });
    return {
      items: matches.map((s) => model.setBackupAge(s.tenantId, s.serverId, body.ageMinutes ?? null, now)),
    };
  }

  @Get('stats')
  stats() {
    return {
      ...this.state.model.getStats(this.state.now()),
      api: { ...this.state.apiStats },
      now: this.state.clock.snapshot().now,
    };
  }

  @Post('reset')
  @HttpCode(200)
  reset(@Body() body: ResetDto) {
    this.state.reset({ seed: body?.seed, config: body?.config });
    return { reset: true, clock: this.state.clock.snapshot() };
  }
}
