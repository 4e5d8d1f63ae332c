import { randomBytes } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { SECRET_BOX, type SecretBox } from '@reprise/common/crypto/secret-box';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { streams } from '@reprise/domain/shared/streams';
import { webhookSecretContext, webhookSecretDecider } from '@reprise/domain/plan/webhook-secret';
import { handleCommand } from '@reprise/event-store/command-handling';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { Actor, metadataFor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import { ifMatchVersion } from '../auth/if-match';
import { EstateService } from '../estate/estate.service';
import { RunbookDto, RunbookSecretView, RunbookView } from './plan.dto';

/**
 * The plan's runbook: steps that are not servers (webhook, script, check, manual), in one
 * dependency graph with the servers. Held by the estate registry, which decides names and cycles.
 */
@ApiTags('plan')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({ status: 403, description: 'Role may not do this' })
@Controller('plan/runbook')
export class RunbookController {
  constructor(
    private readonly estate: EstateService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Put()
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Replace the runbook steps of the plan' })
  @ApiResponse({ status: 200, type: RunbookView })
  @ApiResponse({ status: 400, description: 'Invalid steps, each named as steps[i].field' })
  @ApiResponse({ status: 409, description: 'If-Match mismatch' })
  @ApiResponse({ status: 422, description: 'Unknown name, name of a server, or a cycle (named)' })
  set(
    @Body() body: RunbookDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    return this.estate.setRunbook(actor, req, body.steps, ifMatchVersion(ifMatch));
  }

  @Get()
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({ summary: 'The runbook steps of the plan' })
  @ApiResponse({ status: 200, type: RunbookView })
  get(@CurrentActor() actor: Actor) {
    return this.estate.runbook(actor.tenantId);
  }

  @Post('secret')
  @HttpCode(201)
  @Roles('dr-manager')
  @ApiOperation({
    summary: 'Make (or rotate) the key of the webhook signatures; shown once (Standard Webhooks whsec_…)',
  })
  @ApiResponse({ status: 201, type: RunbookSecretView })
  async rotateSecret(@CurrentActor() actor: Actor, @Req() req: Request): Promise<RunbookSecretView> {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    await handleCommand(
      this.store,
      streams.webhookSecret(actor.tenantId),
      webhookSecretDecider,
      {
        type: 'RotateWebhookSecret',
        sealed: this.secrets.seal(secret, webhookSecretContext(actor.tenantId)),
        at: this.clock.now().toISOString(),
      },
      metadataFor(actor, req),
    );
    return { secret };
  }
}
