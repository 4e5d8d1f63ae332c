import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { NestedArray, NestedObject } from '@reprise/common/http/validation';
import {
  MAX_RUNBOOK_STEPS,
  MAX_SCRIPT_LENGTH,
  MAX_TIMEOUT_MINUTES,
  ON_FAILURE,
  RUNBOOK_STEP_KINDS,
  SCRIPT_INTERPRETERS,
  STEP_SCOPES,
  WEBHOOK_METHODS,
  type OnFailure,
  type RunbookStepKind,
  type ScriptInterpreter,
  type StepScope,
  type WebhookMethod,
} from '@reprise/domain/plan/runbook';

export class AuthorisedPersonDto {
  @ApiProperty({ example: 'Alice Martin' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ example: 'alice@acme.example' })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email: string;

  @ApiPropertyOptional({ example: '+33 1 23 45 67 89', nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Matches(/^\+?[0-9 ().-]{6,32}$/, { message: 'phone must be a phone number such as +33 1 23 45 67 89' })
  phone?: string | null;
}

export class AuthorisedPersonsView {
  @ApiProperty({ type: [AuthorisedPersonDto] }) authorisedPersons: AuthorisedPersonDto[];
  @ApiProperty({ description: 'Plan stream revision; send as If-Match' }) version: number;
}

export class PlanServerView {
  @ApiProperty() id: string;
  @ApiProperty() hostname: string;
  @ApiProperty() osFamily: string;
  @ApiProperty() recoveryMethod: string;
  @ApiProperty({ type: [String] }) dependsOn: string[];
  @ApiProperty({ nullable: true, type: Number }) rtoMinutes: number | null;
  @ApiProperty({ nullable: true, type: Number }) rpoMinutes: number | null;
  @ApiProperty({ description: '{restoreMinutes, bootMinutes, analysisMinutes}' }) estimate: object;
  @ApiProperty({ nullable: true, type: Number }) predictedAvailableAfterMinutes: number | null;
}

export class PlanStepView {
  @ApiProperty() name: string;
  @ApiProperty({ enum: RUNBOOK_STEP_KINDS }) kind: string;
  @ApiProperty({ type: [String] }) after: string[];
  @ApiProperty({ description: 'Estimate of its kind, minutes' }) estimateMinutes: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Null for a post-cleanup step' })
  predictedDoneAfterMinutes: number | null;
}

export class PlanResponse {
  @ApiProperty({ type: [PlanServerView], description: 'Active servers of the drp class' })
  servers: PlanServerView[];
  @ApiProperty({ type: [PlanStepView], description: 'Runbook steps, in the predicted RTO' })
  steps: PlanStepView[];
  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'string' } },
    description: 'Display only: the engine boots by the graph, not by waves',
  })
  bootWaves: string[][];
  @ApiProperty({ type: [String] }) criticalPath: string[];
  @ApiProperty() predictedRtoMinutes: number;
  @ApiProperty({ type: [AuthorisedPersonDto] }) authorisedPersons: AuthorisedPersonDto[];
  @ApiProperty() version: number;
}

export class FindingView {
  @ApiProperty({ enum: ['error', 'warning'] }) severity: 'error' | 'warning';
  @ApiProperty({ example: 'dependency-cycle' }) code: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: [String] }) servers?: string[];
}

export class CheckResponse {
  @ApiProperty() ready: boolean;
  @ApiProperty({ type: [FindingView] }) findings: FindingView[];
}

export class ProbeDto {
  @ApiPropertyOptional({ description: 'TCP port to connect to', example: 1433 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  tcp?: number;

  @ApiPropertyOptional({ description: 'HTTP path to GET', example: '/health' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  http?: string;

  @ApiPropertyOptional({ description: 'Expected status of an http probe (default 200)', example: 200 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(599)
  expectStatus?: number;
}

/** One runbook step; the kind says which of the kind fields apply (the others are refused by name). */
export class RunbookStepDto {
  @ApiProperty({ example: 'erp-sign-off', description: 'Unique in the plan, distinct from every hostname' })
  @IsString()
  @Length(1, 253)
  name: string;

  @ApiProperty({ enum: RUNBOOK_STEP_KINDS })
  @IsIn(RUNBOOK_STEP_KINDS)
  kind: RunbookStepKind;

  @ApiPropertyOptional({
    type: [String],
    description: 'Hostnames, step names or "teardown": the step runs once all are done',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Length(1, 253, { each: true })
  after?: string[];

  @ApiPropertyOptional({ enum: ON_FAILURE, default: 'block' })
  @IsOptional()
  @IsIn(ON_FAILURE)
  onFailure?: OnFailure;

  @ApiPropertyOptional({ description: 'Minutes before the step fails (defaults per kind)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TIMEOUT_MINUTES)
  timeoutMinutes?: number;

  @ApiPropertyOptional({ enum: STEP_SCOPES, default: 'all' })
  @IsOptional()
  @IsIn(STEP_SCOPES)
  scope?: StepScope;

  @ApiPropertyOptional({ description: 'webhook: the URL called (https outside development)' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  url?: string;

  @ApiPropertyOptional({ description: 'webhook: HTTP method (default POST)', enum: WEBHOOK_METHODS })
  @IsOptional()
  @IsIn(WEBHOOK_METHODS)
  method?: WebhookMethod;

  @ApiPropertyOptional({ description: 'webhook: JSON body sent', type: Object })
  @IsOptional()
  @IsObject()
  body?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'webhook: expected status (default any 2xx)' })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(599)
  expectStatus?: number;

  @ApiPropertyOptional({ description: 'script, check: the recovered server (hostname)' })
  @IsOptional()
  @IsString()
  @Length(1, 253)
  server?: string;

  @ApiPropertyOptional({ description: 'script: interpreter', enum: SCRIPT_INTERPRETERS })
  @IsOptional()
  @IsIn(SCRIPT_INTERPRETERS)
  interpreter?: ScriptInterpreter;

  @ApiPropertyOptional({ description: 'script: the script run inside the server' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SCRIPT_LENGTH)
  script?: string;

  @ApiPropertyOptional({ description: 'check: {tcp: port} or {http: path, expectStatus}', type: ProbeDto })
  @IsOptional()
  @NestedObject(() => ProbeDto)
  probe?: ProbeDto;

  @ApiPropertyOptional({ description: 'manual: what the person does before signing off' })
  @IsOptional()
  @IsString()
  @Length(1, 4000)
  instructions?: string;

  @ApiPropertyOptional({
    description: 'manual: the e-mail of who is expected to sign off (reminded at half the timeout)',
    nullable: true,
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(254)
  @IsEmail()
  assignee?: string | null;
}

export class RunbookDto {
  @ApiProperty({ type: [RunbookStepDto] })
  @ArrayMaxSize(MAX_RUNBOOK_STEPS)
  @NestedArray(() => RunbookStepDto)
  steps: RunbookStepDto[];
}

export class RunbookView {
  @ApiProperty({ description: 'Runbook version; send as If-Match' }) version: number;
  @ApiProperty({ type: [Object] }) steps: object[];
}

export class RunbookSecretView {
  @ApiProperty({ example: 'whsec_…', description: 'Shown once' }) secret: string;
}
