import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  registerDecorator,
  ValidationArguments,
} from 'class-validator';
import { IsTimestamp } from '@reprise/common/http/validation';
import type { RequestedScope } from '@reprise/domain/activation';
import { TEST_KINDS, type TestKind } from '@reprise/domain/schedule';

/** `"full"` or `{servers: [hostname, ...]}` (1 to 1,000 hostnames). */
function IsTestScope() {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isTestScope',
      target: object.constructor,
      propertyName,
      validator: {
        validate(value: unknown) {
          if (value === 'full') return true;
          if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
          const servers = (value as { servers?: unknown }).servers;
          return (
            Object.keys(value).length === 1 &&
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

export class CreateTestScheduleDto {
  @ApiProperty({
    enum: TEST_KINDS,
    description: '`drp-test` (drp perimeter) or `restore-test` (backup-with-tests servers)',
  })
  @IsIn(TEST_KINDS as TestKind[])
  kind: TestKind;

  @ApiProperty({
    format: 'date-time',
    example: '2026-09-15T08:00:00Z',
    description: 'When the test starts; at least 30 days ahead (else 422 too-soon)',
  })
  @IsTimestamp()
  scheduledFor: string;

  @ApiPropertyOptional({
    description: '"full" (default) or {servers: [hostname]}',
    oneOf: [
      { type: 'string', enum: ['full'] },
      { type: 'object', properties: { servers: { type: 'array', items: { type: 'string' } } } },
    ],
  })
  @IsOptional()
  @IsTestScope()
  scope?: RequestedScope;
}

export class CancelTestScheduleDto {
  @ApiPropertyOptional({ description: 'Why the test is cancelled (recorded)' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class TestScheduleView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: TEST_KINDS }) kind: TestKind;
  @ApiProperty() scheduledFor: string;
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'object' }] }) scope: RequestedScope;
  @ApiProperty({ enum: ['scheduled', 'started', 'failed-to-start', 'cancelled', 'finished'] }) status: string;
  @ApiProperty({ enum: ['user', 'default-cadence'] }) origin: string;
  @ApiPropertyOptional({ nullable: true, description: 'Default cadence: the due date it answers' }) dueAt:
    string | null;
  @ApiPropertyOptional({ nullable: true, description: 'The activation it started' }) activationId:
    string | null;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ nullable: true }) startedAt: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'Why it could not start' }) failureReason:
    string | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'Due, but waiting for the live activations holding servers of its scope',
  })
  postponed: { reason: string; servers: string[]; activationIds: string[]; at: string } | null;
  @ApiPropertyOptional({ nullable: true }) cancelledAt: string | null;
  @ApiPropertyOptional({ nullable: true }) finishedAt: string | null;
  @ApiProperty({ description: 'Stream revision (If-Match)' }) version: number;
}
