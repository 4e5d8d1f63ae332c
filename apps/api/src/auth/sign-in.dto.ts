import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches, MaxLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_RULE } from '@reprise/domain/user/password-policy';
import { TENANT_ROLES, type TenantRole } from '@reprise/domain/tenant/api-key';

export class AcceptInvitationDto {
  @ApiProperty({ description: 'The invitation token (rpi_…) received from whoever invited you' })
  @IsString()
  @Length(1, 200)
  token: string;

  @ApiProperty({ description: `The new password: ${PASSWORD_RULE}`, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH, { message: `password must be at most ${PASSWORD_MAX_LENGTH} characters` })
  password: string;
}

export class LoginDto {
  @ApiProperty({ example: 'claire.martin@acme.example' })
  @IsString()
  @Length(1, 254)
  email: string;

  @ApiProperty()
  @IsString()
  @Length(1, 1024)
  password: string;
}

export class TotpDto {
  @ApiProperty({ description: 'The challenge POST /auth/login answered (valid 5 minutes)' })
  @IsString()
  @Length(1, 100)
  challenge: string;

  @ApiProperty({ example: '492039', description: 'The 6-digit code of your authenticator app' })
  @Transform(({ value }) => (typeof value === 'string' ? value.replace(/\s+/g, '') : value))
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be the 6 digits of your authenticator app' })
  code: string;
}

export class EnrolmentView {
  @ApiProperty({ description: 'TOTP secret, base32 (RFC 6238: SHA-1, 6 digits, 30 s). Shown once.' })
  totpSecret: string;
  @ApiProperty({ example: 'otpauth://totp/Reprise:claire%40acme.example?issuer=Reprise&secret=…' })
  otpauthUri: string;
  @ApiProperty() email: string;
}

export class ChallengeView {
  @ApiProperty({ description: 'Send it with the TOTP code to POST /auth/login/totp within 5 minutes' })
  challenge: string;
}

export class SessionUserView {
  @ApiProperty() id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: TENANT_ROLES }) role: TenantRole;
}

export class SessionView {
  @ApiProperty({ type: SessionUserView }) user: SessionUserView;
  @ApiProperty({ description: 'Send as the x-csrf-token header on every write made with the session cookie' })
  csrfToken: string;
  @ApiProperty({ description: 'When the session ends without a request (it slides with each request)' })
  idleExpiresAt: string;
  @ApiProperty({ description: 'When the session ends in any case (sign in again)' })
  expiresAt: string;
}
