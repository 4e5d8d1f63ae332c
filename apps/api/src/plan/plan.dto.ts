import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';

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

export class PlanResponse {
  @ApiProperty({ type: [PlanServerView], description: 'Active servers of the drp class' })
  servers: PlanServerView[];
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
