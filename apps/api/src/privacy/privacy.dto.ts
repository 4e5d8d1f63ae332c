import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength } from 'class-validator';

export class ErasureRequestDto {
  @ApiProperty({
    example: 'claire.dubois@acme.example',
    description: 'The person whose personal data is erased',
  })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email: string;
}
