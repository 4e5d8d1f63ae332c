import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { filter, from, interval, Observable, switchMap, take, takeUntil } from 'rxjs';
import type { RequestWithActor } from './actor';
import { SessionStore } from './session.store';

/** How often an open server-sent-events stream checks that its session is still good. */
export const STREAM_SESSION_CHECK_MS = 5_000;

/**
 * A server-sent-events stream opened with a session ends when the session does (sign-out, user
 * disabled, maximum age), not only at the next request. While it is open it counts as activity: a
 * wall display following an activation is not signed out for being idle.
 */
@Injectable()
export class SessionStreamInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const session = context.switchToHttp().getRequest<RequestWithActor>().actor?.session;
    if (!session || !this.reflector.get<boolean>(SSE_METADATA, context.getHandler())) return next.handle();
    const ended = interval(STREAM_SESSION_CHECK_MS).pipe(
      switchMap(() => from(this.sessions.live(session.key))),
      filter((live) => live === null),
      take(1),
    );
    return next.handle().pipe(takeUntil(ended));
  }
}
