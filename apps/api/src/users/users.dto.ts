import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Length, MaxLength } from 'class-validator';
import { TENANT_ROLES, type TenantRole } from '@reprise/domain/tenant/api-key';
import { USER_STATUSES, type UserStatus } from '@reprise/domain/user/user';

export class CreateUserDto {
  @ApiProperty({ example: 'claire.martin@acme.example', description: 'Sign-in name: unique on the platform' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'Claire Martin' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: TENANT_ROLES })
  @IsIn(TENANT_ROLES)
  role: TenantRole;
}

export class UserView {
  @ApiProperty() id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: TENANT_ROLES }) role: TenantRole;
  @ApiProperty({ enum: USER_STATUSES, description: '`invited` until the invitation is accepted' })
  status: UserStatus;
  @ApiProperty() invitedAt: string;
  @ApiProperty({ nullable: true, type: String }) invitationExpiresAt: string | null;
  @ApiProperty({ nullable: true, type: String }) activatedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastSignInAt: string | null;
  @ApiProperty({ nullable: true, type: String }) disabledAt: string | null;
}

export class InvitedUserView extends UserView {
  @ApiProperty({
    description:
      'One-time invitation token for POST /auth/invitations/accept. Shown once (only its sha256 is kept); expires at invitationExpiresAt',
  })
  invitationToken: string;
}

export class UserListView {
  @ApiProperty({ type: [UserView] }) items: UserView[];
  @ApiProperty() total: number;
}
