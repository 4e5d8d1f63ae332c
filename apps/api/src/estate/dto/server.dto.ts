import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Matches,
  IsString,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';
import { NestedArray, NestedObject } from '@reprise/common/http/validation';
import { hostnameProblem } from '@reprise/domain/estate/hostname';
import { APPLICATION_KINDS, type ApplicationKind, type OsFamily } from '@reprise/domain/estate/os-matrix';
import {
  BACKUP_MODES,
  BOUNDS,
  PLATFORMS,
  PROTECTION_CLASSES,
  RECOVERY_METHODS,
  SERVER_KINDS,
  SERVER_STATUSES,
  type BackupMode,
  type Platform,
  type ProtectionClass,
  type RecoveryMethod,
  type ServerKind,
  type ServerStatus,
} from '@reprise/domain/estate/server';

const lower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;
const lowerEach = ({ value }: { value: unknown }) =>
  Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v)) : value;

export function IsHostname(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isHostname',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && hostnameProblem(value) === null,
        defaultMessage: (args) =>
          `${args?.property} must be an RFC 1123 host name: ${typeof args?.value === 'string' ? hostnameProblem(args.value) : 'must be a string'}`,
      },
    });
}

export const OS_FAMILIES: OsFamily[] = ['windows', 'linux'];

export class OsDto {
  @ApiProperty({ enum: OS_FAMILIES })
  @IsIn(OS_FAMILIES)
  family: OsFamily;

  @ApiProperty({ example: 'Windows Server' })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ example: '2019' })
  @IsString()
  @Length(1, 50)
  version: string;
}

export class ApplicationDto {
  @ApiProperty({ enum: APPLICATION_KINDS })
  @IsIn(APPLICATION_KINDS)
  kind: ApplicationKind;

  @ApiProperty({ example: '2019' })
  @IsString()
  @Length(1, 50)
  version: string;
}

export class TemplateDto {
  @ApiProperty({ minimum: BOUNDS.vcpu.min, maximum: BOUNDS.vcpu.max, example: 4 })
  @IsInt()
  @Min(BOUNDS.vcpu.min)
  @Max(BOUNDS.vcpu.max)
  vcpu: number;

  @ApiProperty({ minimum: BOUNDS.ramGiB.min, maximum: BOUNDS.ramGiB.max, example: 16 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(BOUNDS.ramGiB.min)
  @Max(BOUNDS.ramGiB.max)
  ramGiB: number;
}

/** Longest disk name (the `:name` path parameter follows the same rule). */
export const DISK_NAME_MAX = 64;

export class DiskDto {
  @ApiProperty({ example: 'system', maxLength: DISK_NAME_MAX })
  @IsString()
  @Length(1, DISK_NAME_MAX)
  name: string;

  @ApiProperty({ minimum: BOUNDS.sizeGiB.min, maximum: BOUNDS.sizeGiB.max, example: 100 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(BOUNDS.sizeGiB.min)
  @Max(BOUNDS.sizeGiB.max)
  sizeGiB: number;
}

export class CreateServerDto {
  @ApiProperty({ example: 'web-1', description: 'RFC 1123, unique in the tenant (lowercased)' })
  @Transform(lower)
  @IsString()
  @IsHostname()
  hostname: string;

  @ApiProperty({ enum: SERVER_KINDS })
  @IsIn(SERVER_KINDS)
  kind: ServerKind;

  @ApiProperty({ enum: PLATFORMS })
  @IsIn(PLATFORMS)
  platform: Platform;

  @ApiProperty({ type: OsDto })
  @IsDefined()
  @NestedObject(() => OsDto)
  os: OsDto;

  @ApiProperty({ enum: BACKUP_MODES })
  @IsIn(BACKUP_MODES)
  backupMode: BackupMode;

  @ApiPropertyOptional({ type: [ApplicationDto] })
  @IsOptional()
  @ArrayMaxSize(20)
  @NestedArray(() => ApplicationDto)
  applications?: ApplicationDto[];

  @ApiProperty({ type: TemplateDto })
  @IsDefined()
  @NestedObject(() => TemplateDto)
  template: TemplateDto;

  @ApiProperty({ type: [DiskDto], minItems: 1 })
  @ArrayMinSize(1, { message: 'disks must contain at least one disk' })
  @ArrayMaxSize(BOUNDS.disks.max)
  @NestedArray(() => DiskDto)
  disks: DiskDto[];

  @ApiProperty({ enum: PROTECTION_CLASSES })
  @IsIn(PROTECTION_CLASSES)
  protectionClass: ProtectionClass;

  @ApiPropertyOptional({ type: [String], description: 'Hostnames of servers that must be up first' })
  @IsOptional()
  @Transform(lowerEach)
  @IsArray()
  @ArrayMaxSize(BOUNDS.dependsOn.max)
  @IsString({ each: true })
  dependsOn?: string[];

  @ApiPropertyOptional({ minimum: BOUNDS.rtoMinutes.min, maximum: BOUNDS.rtoMinutes.max })
  @IsOptional()
  @IsInt()
  @Min(BOUNDS.rtoMinutes.min)
  @Max(BOUNDS.rtoMinutes.max)
  rtoMinutes?: number;

  @ApiPropertyOptional({ minimum: BOUNDS.rpoMinutes.min, maximum: BOUNDS.rpoMinutes.max })
  @IsOptional()
  @IsInt()
  @Min(BOUNDS.rpoMinutes.min)
  @Max(BOUNDS.rpoMinutes.max)
  rpoMinutes?: number;

  @ApiPropertyOptional({ enum: RECOVERY_METHODS, default: 'backup-restore' })
  @IsOptional()
  @IsIn(RECOVERY_METHODS)
  recoveryMethod?: RecoveryMethod;

  @ApiPropertyOptional({
    example: 'domain-controllers',
    description: 'Servers of one group never share a recovery host',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    message: 'antiAffinityGroup must be 1-63 lowercase letters, digits or hyphens',
  })
  antiAffinityGroup?: string;
}

export class ProtectionClassDto {
  @ApiProperty({ enum: PROTECTION_CLASSES })
  @IsIn(PROTECTION_CLASSES)
  protectionClass: ProtectionClass;
}

export class DependenciesDto {
  @ApiProperty({ type: [String] })
  @IsDefined()
  @Transform(lowerEach)
  @IsArray()
  @ArrayMaxSize(BOUNDS.dependsOn.max)
  @IsString({ each: true })
  dependsOn: string[];
}

export class ChangeOsDto extends OsDto {
  @ApiPropertyOptional({
    enum: BACKUP_MODES,
    description: 'Switch backup mode with the OS change (e.g. to agentless for an OS out of support)',
  })
  @IsOptional()
  @IsIn(BACKUP_MODES)
  backupMode?: BackupMode;
}

export class ResizeDiskDto {
  @ApiProperty({ minimum: BOUNDS.sizeGiB.min, maximum: BOUNDS.sizeGiB.max })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(BOUNDS.sizeGiB.min)
  @Max(BOUNDS.sizeGiB.max)
  sizeGiB: number;
}

export class RecoveryObjectivesDto {
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsInt()
  @Min(BOUNDS.rtoMinutes.min)
  @Max(BOUNDS.rtoMinutes.max)
  rtoMinutes?: number;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsInt()
  @Min(BOUNDS.rpoMinutes.min)
  @Max(BOUNDS.rpoMinutes.max)
  rpoMinutes?: number;

  @ApiPropertyOptional({ enum: RECOVERY_METHODS })
  @IsOptional()
  @IsIn(RECOVERY_METHODS)
  recoveryMethod?: RecoveryMethod;
}

export class DecommissionDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;
}

export class ListServersQuery {
  @ApiPropertyOptional({ enum: PROTECTION_CLASSES })
  @IsOptional()
  @IsIn(PROTECTION_CLASSES)
  protectionClass?: ProtectionClass;

  @ApiPropertyOptional({ enum: SERVER_STATUSES })
  @IsOptional()
  @IsIn(SERVER_STATUSES)
  status?: ServerStatus;

  @ApiPropertyOptional({ default: 1000, maximum: 10000 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(10000)
  limit?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  offset?: number;
}

export class ImportQuery {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: '`true`: run every check and answer what would be enrolled, without enrolling anything',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  validateOnly?: 'true' | 'false';
}

export class ServerView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Stream revision; send as If-Match' }) version: number;
  @ApiProperty() hostname: string;
  @ApiProperty({ enum: SERVER_KINDS }) kind: ServerKind;
  @ApiProperty({ enum: PLATFORMS }) platform: Platform;
  @ApiProperty({ type: OsDto }) os: OsDto;
  @ApiProperty({ enum: BACKUP_MODES }) backupMode: BackupMode;
  @ApiProperty({ type: [ApplicationDto] }) applications: ApplicationDto[];
  @ApiProperty({ type: TemplateDto }) template: TemplateDto;
  @ApiProperty({ type: [DiskDto] }) disks: DiskDto[];
  @ApiProperty({ enum: PROTECTION_CLASSES }) protectionClass: ProtectionClass;
  @ApiProperty({ type: [String] }) dependsOn: string[];
  @ApiProperty({ nullable: true, type: Number }) rtoMinutes: number | null;
  @ApiProperty({ nullable: true, type: Number }) rpoMinutes: number | null;
  @ApiProperty({ enum: RECOVERY_METHODS }) recoveryMethod: RecoveryMethod;
  @ApiProperty({ nullable: true, type: String }) antiAffinityGroup: string | null;
  @ApiProperty({ enum: SERVER_STATUSES }) status: ServerStatus;
  @ApiProperty() enrolledAt: string;
  @ApiProperty({ nullable: true, type: String }) archivedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) decommissionedAt: string | null;
}

export class ServerListView {
  @ApiProperty({ type: [ServerView] }) items: ServerView[];
  @ApiProperty() total: number;
}

export class HistoryEntryView {
  @ApiProperty({ description: 'Stream revision' }) seq: number;
  @ApiProperty() type: string;
  @ApiProperty({ description: 'recordedAt' }) at: string;
  @ApiProperty({ type: Object }) data: unknown;
  @ApiProperty() actor: string;
  @ApiProperty() role: string;
}
