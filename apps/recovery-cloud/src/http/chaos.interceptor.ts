import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import { RecoveryCloudState } from '../recovery-cloud.state';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Provider API misbehaviour on /cloud/v1: injected 5xx (before the request is handled, or after —
 * the work is done but the answer is lost) and latency, both seeded or scripted via /sim/v1/chaos.
 */
@Injectable()
export class ChaosInterceptor implements NestInterceptor {
  constructor(private readonly state: RecoveryCloudState) {}

  intercept(_: ExecutionContext, next: CallHandler): Observable<unknown> {
    const latency = this.state.drawLatencyMs();
    const error = this.state.drawApiError();
    const injected = (status: number) =>
      new HttpException(
        { code: 'injected-api-error', message: `simulated provider error ${status}` },
        status,
      );
    return from(latency > 0 ? sleep(latency) : Promise.resolve()).pipe(
      mergeMap(() => {
        if (error?.phase === 'before') throw injected(error.status);
        return next.handle();
      }),
      mergeMap(async (value) => {
        if (error?.phase === 'after') throw injected(error.status);
        return value;
      }),
    );
  }
}
