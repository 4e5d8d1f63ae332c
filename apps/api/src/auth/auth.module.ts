import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { SystemClock } from '@reprise/common/clock/system-clock';
import { Environment } from '@reprise/common/config/environment';
import { loadSecretBox, SECRET_BOX } from '@reprise/common/crypto/secret-box';
import { AuthGuard } from './auth.guard';
import { SessionStreamInterceptor } from './session-stream.interceptor';
import { SessionStore } from './session.store';
import { SignInController } from './sign-in.controller';
import { SignInService } from './sign-in.service';
import { SignInThrottle } from './sign-in.throttle';
import { WALL_CLOCK } from './wall-clock';

/**
 * Who calls: AuthGuard (global) for bearer tokens and session cookies, and the sign-in of named
 * users (/auth/...), with their sessions and throttling in Redis.
 */
@Module({
  controllers: [SignInController],
  providers: [
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: SessionStreamInterceptor },
    { provide: WALL_CLOCK, useValue: new SystemClock() },
    { provide: SECRET_BOX, inject: [Environment], useFactory: loadSecretBox },
    SessionStore,
    SignInThrottle,
    SignInService,
  ],
  exports: [SessionStore, WALL_CLOCK, SECRET_BOX],
})
export class AuthModule {}
