import { Body, Controller, Get, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiCookieAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Environment } from '@reprise/common/config/environment';
import type { Actor } from './actor';
import { CurrentActor, Public } from './decorators';
import { CSRF_HEADER, sessionCookie } from './session-cookie';
import { SESSION_COOKIE_AUTH } from './openapi';
import {
  AcceptInvitationDto,
  ChallengeView,
  EnrolmentView,
  LoginDto,
  SessionView,
  TotpDto,
} from './sign-in.dto';
import { SignInService } from './sign-in.service';

const requireSession = (actor: Actor) => {
  if (!actor.session)
    throw new UnauthorizedException({
      code: 'no-session',
      message: 'this route is for signed-in users (session cookie), not API keys',
    });
  return actor.session;
};

@ApiTags('sign-in')
@ApiResponse({ status: 400, description: 'Invalid input (problem+json listing every invalid field)' })
@ApiResponse({
  status: 429,
  description: 'Too many failed attempts for this account or address (Retry-After says when to come back)',
})
@Controller('auth')
export class SignInController {
  private readonly cookie: ReturnType<typeof sessionCookie>;

  constructor(
    private readonly signIn: SignInService,
    env: Environment,
  ) {
    this.cookie = sessionCookie(env);
  }

  @Post('invitations/accept')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Accept an invitation: set the password and enrol TOTP (the secret is shown once)',
  })
  @ApiResponse({ status: 200, type: EnrolmentView })
  @ApiResponse({
    status: 400,
    description:
      'Unknown token (`invalid-invitation`) or refused password (`weak-password`, the rule in `detail`)',
  })
  @ApiResponse({ status: 409, description: 'Invitation already accepted (`invitation-used`)' })
  @ApiResponse({ status: 422, description: 'Invitation expired (`invitation-expired`): ask for a new one' })
  accept(@Body() body: AcceptInvitationDto, @Req() req: Request): Promise<EnrolmentView> {
    return this.signIn.acceptInvitation(body.token, body.password, req);
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in, step 1: e-mail and password → a challenge for the TOTP step' })
  @ApiResponse({ status: 200, type: ChallengeView })
  @ApiResponse({
    status: 401,
    description: 'Wrong e-mail or password (the same answer for an unknown e-mail)',
  })
  login(@Body() body: LoginDto, @Req() req: Request): Promise<ChallengeView> {
    return this.signIn.login(body.email, body.password, req);
  }

  @Post('login/totp')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in, step 2: the challenge and the current TOTP code → the session cookie',
    description:
      'Sets the session cookie (httpOnly, SameSite=Strict, Secure outside development). Answers the user and the CSRF token to send as `x-csrf-token` on writes.',
  })
  @ApiResponse({ status: 200, type: SessionView })
  @ApiResponse({
    status: 401,
    description: 'Wrong code (`wrong-code`), a code already used (`code-used`), or an expired challenge',
  })
  async totp(
    @Body() body: TotpDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SessionView> {
    const { cookie, session } = await this.signIn.completeLogin(body.challenge, body.code, req);
    res.cookie(this.cookie.name, cookie, this.cookie.options);
    return this.signIn.view(session);
  }

  @Get('me')
  @ApiCookieAuth(SESSION_COOKIE_AUTH)
  @ApiOperation({ summary: 'The signed-in user, and the CSRF token for writes' })
  @ApiResponse({ status: 200, type: SessionView })
  @ApiResponse({ status: 401, description: 'No session (signed out, expired, or the user was disabled)' })
  me(@CurrentActor() actor: Actor): SessionView {
    return this.signIn.view(requireSession(actor));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiCookieAuth(SESSION_COOKIE_AUTH)
  @ApiHeader({ name: CSRF_HEADER, required: true, description: 'The csrfToken of GET /auth/me' })
  @ApiOperation({ summary: 'Sign out: the session ends on every replica' })
  @ApiResponse({ status: 204, description: 'Signed out' })
  @ApiResponse({ status: 403, description: 'Missing or wrong x-csrf-token' })
  async logout(@CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.signIn.logout(requireSession(actor));
    res.clearCookie(this.cookie.name, this.cookie.options);
  }
}
