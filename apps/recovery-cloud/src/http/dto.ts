import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsBoolean,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { FAULT_KINDS, SITE_STATES, type FaultKind, type SiteState } from '../model/types';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export class DiskDto {
  @IsString() @Matches(ID) name: string;
  @IsNumber() @IsPositive() sizeGiB: number;
}

export class TemplateDto {
  @IsInt() @Min(1) @Max(768) vcpu: number;
  @IsNumber() @IsPositive() ramGiB: number;
}

export class RegisterServerDto {
  @IsString() @Matches(ID) serverId: string;
  @IsString() @MinLength(1) @MaxLength(253) hostname: string;
  @IsIn(['windows', 'linux']) osFamily: 'windows' | 'linux';
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => DiskDto) disks: DiskDto[];
  @ValidateNested() @Type(() => TemplateDto) template: TemplateDto;
  @IsOptional()
  @IsIn(['backup-restore', 'vm-replication', 'storage-replication'])
  recoveryMethod?: 'backup-restore' | 'vm-replication' | 'storage-replication';
  @IsOptional() @IsString() @Matches(ID) antiAffinityGroup?: string;
}

export class ActivationScopedDto {
  @IsString() @Matches(ID) activationId: string;
}

export class RestoreDiskDto extends ActivationScopedDto {
  @IsString() @Matches(ID) serverId: string;
  @IsString() @Matches(ID) diskName: string;
  @IsOptional() @IsString() restorePointId?: string;
  @IsOptional() @IsString() datastoreId?: string;
}

export class CreateServerDto extends ActivationScopedDto {
  @IsString() @Matches(ID) serverId: string;
  @IsOptional() @IsInt() @Min(1) @Max(768) vcpu?: number;
  @IsOptional() @IsNumber() @IsPositive() ramGiB?: number;
  @IsOptional() @IsArray() @IsString({ each: true }) diskIds?: string[];
  @IsOptional() @IsString() lunId?: string;
  @IsOptional() @IsString() @Matches(ID) antiAffinityGroup?: string;
}

export class NetworkDto extends ActivationScopedDto {
  @IsOptional() @IsString() @MaxLength(128) name?: string;
  @IsOptional() @IsString() @Matches(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/) cidr?: string;
}

export class NcaDto extends ActivationScopedDto {
  @IsString() networkId: string;
}

export class VpnDto extends ActivationScopedDto {
  @IsString() networkId: string;
  @IsString() @MinLength(1) @MaxLength(128) site: string;
}

export class ReplicaDto extends ActivationScopedDto {
  @IsString() @Matches(ID) serverId: string;
  @IsOptional() @IsString() @Matches(ID) antiAffinityGroup?: string;
}

export class EmptyDto {}

// ------------------------------------------------------------------ /sim/v1

export class ReverseServerDto extends ActivationScopedDto {
  @IsString() @Matches(ID) serverId: string;
}

export class ReverseDeltaDto extends ReverseServerDto {
  @IsOptional() @IsBoolean() final?: boolean;
}

export class OriginalSiteDto {
  @IsIn(SITE_STATES) state: SiteState;
  /** One tenant's site; without it, every tenant's. */
  @IsOptional() @IsString() @Matches(ID) tenantId?: string;
}

export class FaultDto {
  @IsString() @MinLength(1) hostname: string;
  @IsIn(FAULT_KINDS) fault: FaultKind;
  @IsOptional() @IsInt() @Min(1) times?: number;
}

export class AdvanceClockDto {
  @IsNumber() @Min(0) minutes: number;
}

export class SetClockDto {
  @IsOptional() @IsISO8601() at?: string;
  @IsOptional() @IsNumber() @IsPositive() scale?: number;
}

export class OutageDto {
  @IsNumber() @IsPositive() @Max(3600) seconds: number;
  @IsOptional() @IsIn(['refuse', 'drop']) mode?: 'refuse' | 'drop';
}

export class ErrorBurstDto {
  @IsInt() @Min(1) count: number;
  @IsOptional() @IsInt() @Min(500) @Max(599) status?: number;
  /** before: the request is not processed; after: processed, then the answer is lost. */
  @IsOptional() @IsIn(['before', 'after']) phase?: 'before' | 'after';
}

export class ParticipantDto {
  @IsBoolean() busy: boolean;
  @IsArray() @ArrayMaxSize(10_000) @IsString({ each: true }) waitingOn: string[];
  @IsOptional() @IsISO8601() nextTimerAt?: string | null;
  @IsBoolean() awaitingPerson: boolean;
  /** Wall ms the report holds; a participant silent for longer is dropped (default 5 000). */
  @IsOptional() @IsInt() @Min(100) @Max(600_000) leaseMs?: number;
}

export class StaleBackupsDto {
  @IsString() @MinLength(1) hostname: string;
  @IsOptional() @IsString() tenantId?: string;
  /** Age of the newest restore point now; null = backups run again normally. */
  @IsOptional() @IsNumber() @Min(0) ageMinutes?: number | null;
}

export class ResetDto {
  @IsOptional() @IsInt() seed?: number;
  @IsOptional() config?: Record<string, unknown>;
}

export class GuestRunDto {
  @IsIn(['powershell', 'bash']) interpreter: string;
  @IsString() @MinLength(1) @MaxLength(65536) script: string;
}

export class ProbeDto {
  @IsOptional() @IsInt() @Min(1) @Max(65535) tcp?: number;
  @IsOptional() @IsString() @Matches(/^\//) @MaxLength(2000) http?: string;
}
