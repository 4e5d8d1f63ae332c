import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  registerDecorator,
  ValidationArguments,
} from 'class-validator';
import { IsTimestamp, NestedObject } from '@reprise/common/http/validation';
import { ACTIVATION_STATUSES, type RequestedScope } from '@reprise/domain/activation';

/** `"full"` or `{servers: [hostname, ...]}` (1 to 1,000 hostnames). */
function IsActivationScope() {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isActivationScope',
      target: object.constructor,
      propertyName,
      validator: {
        validate(value: unknown) {
          if (value === 'full') return true;
          if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
          const keys = Object.keys(value);
          const servers = (value as { servers?: unknown }).servers;
          return (
            keys.length === 1 &&
            Array.isArray(servers) &&
            servers.length > 0 &&
            servers.length <= 1000 &&
            servers.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 253)
          );
        },
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be "full" or {servers: [hostname, ...]} with at least one hostname`,
      },
    });
}

export class PersonDto {
  @ApiProperty({ example: 'Claire Martin' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'claire.martin@example.com' })
  @IsEmail()
  email: string;
}

/** POST /activations without the requester (who it is depends on the caller). */
class ActivationRequestFields {
  @ApiProperty({
    enum: ['test', 'disaster', 'alert', 'restore-test'],
    description:
      '`restore-test`: restore and health-check the named backup-with-tests or drp servers each on its own in an isolated space (no network), report, tear down',
  })
  @IsIn(['test', 'disaster', 'alert', 'restore-test'])
  type: 'test' | 'disaster' | 'alert' | 'restore-test';

  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['full'] },
      { type: 'object', properties: { servers: { type: 'array', items: { type: 'string' } } } },
    ],
  })
  @IsDefined()
  @IsActivationScope()
  scope: RequestedScope;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

/** POST /activations as documented, and as a signed-in user sends it (`requestedBy` optional). */
export class CreateActivationDto extends ActivationRequestFields {
  @ApiPropertyOptional({
    type: PersonDto,
    description:
      'Who requests it. Required with an API key; a signed-in user (session cookie) is the requester: leave it out (naming someone else is refused)',
  })
  @IsOptional()
  @NestedObject(() => PersonDto)
  requestedBy?: PersonDto;
}

/** POST /activations with an API key: a key is nobody, so the body names the requester. */
export class CreateActivationByKeyDto extends ActivationRequestFields {
  @IsDefined()
  @NestedObject(() => PersonDto)
  requestedBy: PersonDto;
}

/** POST /activations/:id/confirm without the confirmer. */
class ConfirmationFields {
  @ApiProperty({
    description:
      "The confirmer's own one-time code, received out of band (each authorised person gets theirs)",
    example: '7KQ2-M9XD',
  })
  @IsString()
  @MinLength(4)
  @MaxLength(32)
  code: string;
}

/** The confirmation as documented, and as a signed-in user sends it (`email` optional). */
export class ConfirmActivationDto extends ConfirmationFields {
  @ApiPropertyOptional({
    description:
      'E-mail of the authorised person confirming (not the requester). Required with an API key; a signed-in user confirms as themselves: leave it out',
  })
  @IsOptional()
  @IsEmail()
  email?: string;
}

/** The confirmation with an API key: the body names the confirmer. */
export class ConfirmActivationByKeyDto extends ConfirmationFields {
  @IsEmail()
  email: string;
}

export class EscalateActivationDto {
  @ApiProperty({ oneOf: [{ type: 'string', enum: ['full'] }, { type: 'object' }] })
  @IsDefined()
  @IsActivationScope()
  scope: RequestedScope;

  @ApiPropertyOptional({
    type: PersonDto,
    description: 'Who escalates (an API key: defaults to the alert requester; a signed-in user: themselves)',
  })
  @IsOptional()
  @NestedObject(() => PersonDto)
  requestedBy?: PersonDto;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class SignOffDto {
  @ApiPropertyOptional({ description: 'What was checked' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;

  @ApiPropertyOptional({
    type: PersonDto,
    description: 'Who signs off: with an API key, defaults to the key; a signed-in user is themselves',
  })
  @IsOptional()
  @NestedObject(() => PersonDto)
  by?: PersonDto;
}

/** POST /activations/:id/failback. */
export class FailbackDto {
  @ApiPropertyOptional({
    type: PersonDto,
    description:
      'Who asks for the failback. Required with an API key; a signed-in user is the requester: leave it out',
  })
  @IsOptional()
  @NestedObject(() => PersonDto)
  requestedBy?: PersonDto;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @ApiPropertyOptional({
    type: [String],
    description:
      'Hostnames left out explicitly: servers that do not run at the recovery site (failed, blocked). A server that runs there cannot be left out',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @MaxLength(253, { each: true })
  exclude?: string[];
}

export class ReasonDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @ApiPropertyOptional({
    type: PersonDto,
    description: 'Who does it: with an API key, defaults to the key; a signed-in user is themselves',
  })
  @IsOptional()
  @NestedObject(() => PersonDto)
  by?: PersonDto;
}

/**
 * `reason` is required. Not derived from ReasonDto: class-validator applies the parent's
 * `@IsOptional()` to the redeclared property too, which let an abort without a reason through.
 */
export class AbortActivationDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  reason: string;

  @ApiPropertyOptional({
    type: PersonDto,
    description: 'Who does it: with an API key, defaults to the key; a signed-in user is themselves',
  })
  @IsOptional()
  @NestedObject(() => PersonDto)
  by?: PersonDto;
}

export class ListActivationsQuery {
  @ApiPropertyOptional({
    enum: ['test', 'disaster', 'alert', 'restore-test'],
    description: '`test` lists DRP tests and restore tests; `restore-test` restore tests only',
  })
  @IsOptional()
  @IsIn(['test', 'disaster', 'alert', 'restore-test'])
  type?: string;

  @ApiPropertyOptional({ enum: ACTIVATION_STATUSES })
  @IsOptional()
  @IsIn(ACTIVATION_STATUSES)
  status?: string;
}

export class AsOfQuery {
  @ApiPropertyOptional({
    format: 'date-time',
    example: '2027-01-05T09:00:00Z',
    description: 'Rebuild the state from the events recorded up to this time (date, time and offset)',
  })
  @IsOptional()
  @IsTimestamp()
  asOf?: string;
}

/** `"full"` or a list of 1 to 1,000 hostnames. */
function IsServersOrFull() {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isServersOrFull',
      target: object.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) =>
          value === 'full' ||
          (Array.isArray(value) &&
            value.length > 0 &&
            value.length <= 1000 &&
            value.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 253)),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be "full" or a list of at least one hostname`,
      },
    });
}

/** POST /activations/:id/scope: widen a live failover. */
export class WidenScopeDto {
  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['full'] },
      { type: 'array', items: { type: 'string' } },
    ],
    description: 'Servers to add (their upstream dependencies come with them), or "full"',
  })
  @IsDefined()
  @IsServersOrFull()
  servers: string[] | 'full';

  @ApiPropertyOptional({
    type: PersonDto,
    description: 'Who asks for it. Required with an API key; a signed-in user is the requester',
  })
  @IsOptional()
  @NestedObject(() => PersonDto)
  requestedBy?: PersonDto;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

/** POST /activations/:id/override: start a disaster waiting for its window at once. */
export class EmergencyOverrideDto {
  @ApiProperty({
    description: 'Why it cannot wait for the window (recorded)',
    example: 'ransomware: production down',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  reason: string;

  @ApiPropertyOptional({
    type: PersonDto,
    description:
      'The authorised person asking. Required with an API key; a signed-in user asks as themselves',
  })
  @IsOptional()
  @NestedObject(() => PersonDto)
  requestedBy?: PersonDto;
}
