import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { IsTimestamp } from '@reprise/common/http/validation';

/** A signed tree head as an auditor kept it (`POST /audit/verify`). */
export class TreeHeadDto {
  @ApiPropertyOptional({ description: "The tenant (must be the caller's; the signature covers it)" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  tenantId?: string;

  @ApiProperty({ example: 1024, description: 'Events the head covers' })
  @IsInt()
  @Min(0)
  treeSize: number;

  @ApiProperty({ example: 'ab'.repeat(32), description: 'Merkle root, 64 lower-case hex digits' })
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'rootHash must be 64 lower-case hex digits' })
  rootHash: string;

  @ApiProperty({ example: '2026-03-01T10:00:00.000Z', format: 'date-time' })
  @IsTimestamp()
  timestamp: string;

  @ApiProperty({ example: '0123456789abcdef', description: 'Key id: 16 lower-case hex digits' })
  @IsString()
  @Matches(/^[0-9a-f]{16}$/, { message: 'keyId must be 16 lower-case hex digits' })
  keyId: string;

  @ApiProperty({ description: 'Ed25519 signature, base64 (88 characters)' })
  @IsString()
  @Matches(/^[A-Za-z0-9+/]{86}==$/, { message: 'signature must be a base64 Ed25519 signature' })
  signature: string;
}
