import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import { ErasureRequestDto } from './privacy.dto';
import { PrivacyService } from './privacy.service';

@ApiTags('privacy')
@ApiBearerAuth()
@Roles('dr-manager')
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({ status: 403, description: 'Only dr-manager keys' })
@Controller('privacy')
export class PrivacyController {
  constructor(private readonly privacy: PrivacyService) {}

  @Post('erasure')
  @HttpCode(200)
  @ApiOperation({
    summary: "Erases a person's personal data (name, e-mail, phone) in this tenant",
    description:
      'Crypto-shredding: the per-person key is destroyed and the erasure recorded as an event (`PersonalDataErased`, with a random subject id, never the address). Afterwards the name, e-mail and phone read `erased` everywhere (API, reports, exports, read models); the audit log still verifies, since it hashed them encrypted. Asking again for an erased person answers 404: nothing is held any more.',
  })
  @ApiResponse({ status: 200, description: '{status: "erased", subjectId, erasedAt, seq}' })
  @ApiResponse({ status: 400, description: 'email is not an e-mail address' })
  @ApiResponse({
    status: 404,
    description: 'No personal data of this e-mail is held (never, or already erased)',
  })
  erase(@Body() body: ErasureRequestDto, @CurrentActor() actor: Actor, @Req() req: Request) {
    return this.privacy.erase(actor, req, body.email);
  }

  @Get('export')
  @ApiOperation({
    summary: 'Everything held about one person in this tenant, in clear (their right of access)',
  })
  @ApiQuery({ name: 'email', required: true })
  @ApiResponse({
    status: 200,
    description: '{email, subjectId, generatedAt, items: [{seq, stream, type, at, fields: [{path, value}]}]}',
  })
  @ApiResponse({ status: 400, description: 'email missing or not an e-mail address' })
  @ApiResponse({ status: 404, description: 'No personal data of this e-mail is held' })
  export(@Query('email') email: unknown, @CurrentActor() actor: Actor) {
    return this.privacy.export(actor, email);
  }
}
