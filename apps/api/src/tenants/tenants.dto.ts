import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  IsUrl,
  ValidateIf,
} from 'class-validator';
import { ACTIVATION_WINDOWS, type ActivationWindow } from '@reprise/domain/tenant/tenant';
import { TENANT_ROLES, type TenantRole } from '@reprise/domain/tenant/api-key';

export class CreateTenantDto {
  @ApiProperty({ example: 'Acme Industries' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ example: 'C-0042', description: 'Customer number (letters, digits, . _ -)' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    message: 'customerNumber must be 1 to 64 letters, digits, ".", "_" or "-"',
  })
  customerNumber: string;

  @ApiProperty({ example: 'acme.example' })
  @IsString()
  @Length(1, 253)
  domain: string;

  @ApiPropertyOptional({ example: 'Europe/Paris', default: 'Europe/Paris', description: 'IANA time zone' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;

  @ApiPropertyOptional({ enum: ACTIVATION_WINDOWS, default: 'business-hours' })
  @IsOptional()
  @IsIn(ACTIVATION_WINDOWS)
  activationWindow?: ActivationWindow;

  @ApiPropertyOptional({ example: 'https://hooks.acme.example/reprise', nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2048)
  notificationWebhookUrl?: string | null;

  @ApiPropertyOptional({
    default: false,
    description:
      'The contract allows an emergency override: a disaster declared outside the business-hours window may be started at once by an authorised person, under four eyes',
  })
  @IsOptional()
  @IsBoolean()
  emergencyOverride?: boolean;
}

export class UpdateTenantDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ description: 'IANA time zone' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;

  @ApiPropertyOptional({ enum: ACTIVATION_WINDOWS })
  @IsOptional()
  @IsIn(ACTIVATION_WINDOWS)
  activationWindow?: ActivationWindow;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2048)
  notificationWebhookUrl?: string | null;

  @ApiPropertyOptional({
    default: false,
    description:
      'The contract allows an emergency override: a disaster declared outside the business-hours window may be started at once by an authorised person, under four eyes',
  })
  @IsOptional()
  @IsBoolean()
  emergencyOverride?: boolean;
}

export class TenantView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() customerNumber: string;
  @ApiProperty() domain: string;
  @ApiProperty() timeZone: string;
  @ApiProperty({ enum: ACTIVATION_WINDOWS }) activationWindow: ActivationWindow;
  @ApiProperty({ nullable: true, type: String }) notificationWebhookUrl: string | null;
  @ApiProperty({ description: 'Emergency override of the activation window allowed' })
  emergencyOverride: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty({ description: 'Stream revision; send as If-Match for conditional writes' }) version: number;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci pipeline' })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ enum: TENANT_ROLES })
  @IsIn(TENANT_ROLES)
  role: TenantRole;
}

export class ApiKeyView {
  @ApiProperty() id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: TENANT_ROLES }) role: TenantRole;
  @ApiProperty({ description: 'First characters of the token, to recognise it' }) tokenPrefix: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) revokedAt: string | null;
}

export class IssuedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The bearer token. Shown once; only its hash is stored.' }) token: string;
}
