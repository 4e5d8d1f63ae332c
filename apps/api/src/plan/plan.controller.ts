import { Body, Controller, Get, Headers, HttpCode, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { validateInput } from '@reprise/common/http/validation';
import { FieldError, validationError } from '@reprise/domain/shared/errors';
import { MAX_AUTHORISED_PERSONS } from '@reprise/domain/plan/authorised-persons';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import { ifMatchVersion } from '../auth/if-match';
import { AuthorisedPersonDto, AuthorisedPersonsView, CheckResponse, PlanResponse } from './plan.dto';
import { PlanService } from './plan.service';

function validatePersons(body: unknown): AuthorisedPersonDto[] {
  if (!Array.isArray(body))
    throw validationError(
      'invalid-authorised-persons',
      'the body must be an array of {name, email, phone?}',
      [{ field: 'body', message: 'must be an array' }],
    );
  if (body.length > MAX_AUTHORISED_PERSONS)
    throw validationError('invalid-authorised-persons', 'too many authorised persons', [
      { field: 'body', message: `at most ${MAX_AUTHORISED_PERSONS}` },
    ]);
  const errors: FieldError[] = [];
  const dtos = body.map((raw, i) => {
    const result = validateInput(AuthorisedPersonDto, raw, `[${i}]`);
    errors.push(...result.errors);
    return result.value;
  });
  if (errors.length)
    throw validationError(
      'invalid-authorised-persons',
      errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      errors,
    );
  return dtos as AuthorisedPersonDto[];
}

@ApiTags('plan')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({ status: 403, description: 'Role may not do this' })
@Controller('plan')
export class PlanController {
  constructor(private readonly plans: PlanService) {}

  @Put('authorised-persons')
  @Roles('dr-manager')
  @ApiOperation({ summary: 'Replace the list of persons who may confirm a disaster activation' })
  @ApiBody({ type: [AuthorisedPersonDto] })
  @ApiResponse({ status: 200, type: AuthorisedPersonsView })
  @ApiResponse({ status: 400, description: 'Invalid entries listed as [i].field' })
  @ApiResponse({ status: 409, description: 'If-Match mismatch' })
  setPersons(
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
  ) {
    const persons = validatePersons(body).map((p) => ({
      name: p.name,
      email: p.email,
      phone: p.phone ?? null,
    }));
    return this.plans.setAuthorisedPersons(actor, req, persons, ifMatchVersion(ifMatch));
  }

  @Get('authorised-persons')
  @Roles('dr-manager', 'auditor')
  @ApiOperation({ summary: 'The authorised persons' })
  @ApiResponse({ status: 200, type: AuthorisedPersonsView })
  getPersons(@CurrentActor() actor: Actor) {
    return this.plans.authorisedPersons(actor.tenantId);
  }

  @Get()
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({ summary: 'The DRP: drp servers, boot waves, critical path, predicted RTO' })
  @ApiResponse({ status: 200, type: PlanResponse })
  plan(@CurrentActor() actor: Actor) {
    return this.plans.plan(actor.tenantId);
  }

  @Post('check')
  @HttpCode(200)
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({
    summary:
      'Readiness check: cycles, missing dependencies, unsupported OS/mode, no authorised person, RTO targets, and contributed checks',
  })
  @ApiResponse({ status: 200, type: CheckResponse })
  check(@CurrentActor() actor: Actor) {
    return this.plans.check(actor.tenantId);
  }
}
