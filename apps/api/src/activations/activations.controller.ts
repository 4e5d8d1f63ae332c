import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  MessageEvent,
  Post,
  Query,
  Req,
  Res,
  Sse,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { nameRule, PathParam } from '@reprise/common/http/path-params';
import type { Response } from 'express';
import { Observable } from 'rxjs';
import { streams } from '@reprise/domain/shared/streams';
import { Inject } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import {
  CurrentActor,
  metadataFor,
  Roles,
  validateActingBody,
  type Actor,
  type RequestWithActor,
} from '../auth';
import { ActivationViews } from './activation-views.service';
import {
  AbortActivationDto,
  AsOfQuery,
  ConfirmActivationByKeyDto,
  ConfirmActivationDto,
  CreateActivationByKeyDto,
  CreateActivationDto,
  EmergencyOverrideDto,
  EscalateActivationDto,
  FailbackDto,
  ListActivationsQuery,
  ReasonDto,
  SignOffDto,
  WidenScopeDto,
} from './activations.dto';
import { ActivationsService, toEventView } from './activations.service';

@ApiTags('activations')
@ApiBearerAuth()
@ApiResponse({ status: 400, description: 'Invalid input (problem+json listing every invalid field)' })
@ApiResponse({ status: 401, description: 'No or bad token' })
@ApiResponse({ status: 403, description: 'Role or rule forbids' })
@ApiResponse({ status: 404, description: 'Not found or belongs to another tenant' })
@Controller('activations')
export class ActivationsController {
  constructor(
    private readonly activations: ActivationsService,
    private readonly views: ActivationViews,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('dr-manager', 'scheduler')
  @ApiAcceptedResponse({
    description:
      '`test` and `restore-test` are running, `disaster` awaits confirmation, `alert` is on standby',
  })
  @ApiResponse({ status: 409, description: 'Overlaps a live activation' })
  @ApiResponse({ status: 422, description: 'Unknown server or server outside the DRP class in the scope' })
  @ApiBody({ type: CreateActivationDto })
  create(@CurrentActor() actor: Actor, @Body() body: unknown, @Req() req: RequestWithActor) {
    const dto = validateActingBody(actor, CreateActivationDto, CreateActivationByKeyDto, body);
    return this.activations.request(actor, dto, metadataFor(actor, req));
  }

  @Get()
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOkResponse({ description: 'Activations with launch, close and availability delay' })
  list(@CurrentActor() actor: Actor, @Query() query: ListActivationsQuery) {
    return this.activations.list(actor, query);
  }

  @Get(':id')
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOkResponse({
    description: 'Live state; with `asOf`, the state rebuilt from the events recorded up to then',
  })
  view(@CurrentActor() actor: Actor, @PathParam('id') id: string, @Query() query: AsOfQuery) {
    return this.activations.view(actor, id, query.asOf);
  }

  @Get(':id/events')
  @Roles('dr-manager', 'scheduler', 'auditor')
  events(@CurrentActor() actor: Actor, @PathParam('id') id: string) {
    return this.activations.events(actor, id);
  }

  @Sse(':id/stream')
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOkResponse({
    description:
      'Server-sent events: every recorded event of the activation, then live ones (Last-Event-ID resumes)',
  })
  async stream(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Observable<MessageEvent>> {
    const stream = streams.activation(actor.tenantId, id);
    await this.activations.view(actor, id); // 404 before the stream opens
    res.setHeader('x-accel-buffering', 'no');
    const after = lastEventId && /^\d+$/.test(lastEventId) ? Number(lastEventId) : -1;
    return new Observable<MessageEvent>((subscriber) => {
      let sentUpTo = after;
      const buffered: MessageEvent[] = [];
      let replaying = true;
      const toMessage = (e: Parameters<typeof toEventView>[0]): MessageEvent => ({
        id: String(e.revision),
        type: e.type,
        data: toEventView(e),
      });
      const live = this.views.live(actor.tenantId, id).subscribe((event) => {
        if (event.revision <= sentUpTo) return;
        if (replaying) buffered.push(toMessage(event));
        else {
          sentUpTo = event.revision;
          subscriber.next(toMessage(event));
        }
      });
      this.store
        .readStream(stream, { fromRevision: after + 1 })
        .then((past) => {
          for (const event of past) {
            sentUpTo = event.revision;
            subscriber.next(toMessage(event));
          }
          replaying = false;
          for (const message of buffered) {
            if (Number(message.id) > sentUpTo) {
              sentUpTo = Number(message.id);
              subscriber.next(message);
            }
          }
        })
        .catch((error) => subscriber.error(error));
      return () => live.unsubscribe();
    });
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiResponse({
    status: 403,
    description: 'Not an authorised person, the requester, or a wrong code (with attemptsLeft)',
  })
  @ApiBody({ type: ConfirmActivationDto })
  confirm(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: unknown,
    @Req() req: RequestWithActor,
  ) {
    const dto = validateActingBody(actor, ConfirmActivationDto, ConfirmActivationByKeyDto, body);
    return this.activations.confirm(actor, id, dto, metadataFor(actor, req));
  }

  @Post(':id/escalate')
  @HttpCode(200)
  @Roles('dr-manager')
  escalate(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: EscalateActivationDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.escalate(actor, id, body, metadataFor(actor, req));
  }

  @Post(':id/scope')
  @HttpCode(202)
  @Roles('dr-manager')
  @ApiAcceptedResponse({
    description:
      'The new servers (`servers`: what was named in `requested`, what was pulled in as `added`) await a new four-eyes confirmation (`status`: awaiting-confirmation); confirm with POST /activations/:id/confirm',
  })
  @ApiResponse({
    status: 409,
    description:
      'Wrong status, a widening already pending, or overlap with another live activation (naming the servers)',
  })
  @ApiResponse({
    status: 422,
    description: 'Not a disaster, nothing to add, or a server unknown or not drp (named)',
  })
  widen(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: WidenScopeDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.widen(actor, id, body, metadataFor(actor, req));
  }

  @Post(':id/override')
  @HttpCode(202)
  @Roles('dr-manager')
  @ApiAcceptedResponse({
    description:
      "A disaster `scheduled` for its window: the emergency override (with its reason) awaits another authorised person's confirmation (POST /activations/:id/confirm), which starts it at once",
  })
  @ApiResponse({
    status: 403,
    description: "The tenant's contract does not allow it, or the requester is not an authorised person",
  })
  @ApiResponse({ status: 409, description: 'Not scheduled, or an override already awaits its confirmation' })
  override(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: EmergencyOverrideDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.override(actor, id, body, metadataFor(actor, req));
  }

  @Post(':id/stand-down')
  @HttpCode(200)
  @Roles('dr-manager')
  standDown(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: ReasonDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.simple(actor, id, 'stand-down', body, metadataFor(actor, req));
  }

  @Post(':id/abort')
  @HttpCode(200)
  @Roles('dr-manager')
  abort(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: AbortActivationDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.simple(actor, id, 'abort', body, metadataFor(actor, req));
  }

  @Post(':id/servers/:serverId/retry')
  @HttpCode(200)
  @Roles('dr-manager')
  retry(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @PathParam('serverId') serverId: string,
    @Body() body: ReasonDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.simple(actor, id, 'retry', { ...body, serverId }, metadataFor(actor, req));
  }

  @Post(':id/steps/:name/sign-off')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Sign off a manual runbook step that waits' })
  signOff(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @PathParam('name', nameRule(253)) step: string,
    @Body() body: SignOffDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.simple(actor, id, 'sign-off', { ...body, step }, metadataFor(actor, req));
  }

  @Post(':id/steps/:name/fail')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Fail a manual runbook step that waits (reason required)' })
  failStep(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @PathParam('name', nameRule(253)) step: string,
    @Body() body: AbortActivationDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.simple(actor, id, 'fail-step', { ...body, step }, metadataFor(actor, req));
  }

  @Post(':id/steps/:name/retry')
  @HttpCode(200)
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Run a failed runbook step again (and what it blocked)' })
  retryStep(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @PathParam('name', nameRule(253)) step: string,
    @Body() body: ReasonDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.simple(actor, id, 'retry-step', { ...body, step }, metadataFor(actor, req));
  }

  @Post(':id/close')
  @HttpCode(200)
  @Roles('dr-manager', 'scheduler')
  @ApiOkResponse({
    description:
      '`closed` once the recovery cloud lists nothing left; otherwise the current status and what remains',
  })
  @ApiResponse({
    status: 409,
    description:
      'Wrong state (code `wrong-status`), or a disaster, which ends with failback (code `failback-required`)',
  })
  close(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: ReasonDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.simple(actor, id, 'close', body, metadataFor(actor, req));
  }

  @Post(':id/failback')
  @HttpCode(202)
  @Roles('dr-manager')
  @ApiResponse({
    status: 202,
    description:
      '`failback-awaiting-confirmation`: a one-time code went to each other authorised person; confirm with `POST /activations/:id/confirm`, then the failback runs (`failing-back` → `failed-back`)',
  })
  @ApiResponse({
    status: 409,
    description:
      'The original site is not up (code `original-site-not-up`, or `original-site-unknown`), or the activation is not a completed disaster',
  })
  @ApiResponse({
    status: 422,
    description:
      'A server does not run at the recovery site and is not excluded (code `servers-not-running`), or an excluded server runs there (`cannot-exclude-running`)',
  })
  failback(
    @CurrentActor() actor: Actor,
    @PathParam('id') id: string,
    @Body() body: FailbackDto,
    @Req() req: RequestWithActor,
  ) {
    return this.activations.failback(actor, id, body, metadataFor(actor, req));
  }
}
