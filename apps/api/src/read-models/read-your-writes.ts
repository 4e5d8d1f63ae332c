import {
  CallHandler,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, mergeMap, Observable, switchMap } from 'rxjs';
import { RequestProblem } from '@reprise/common/http/problem-details.filter';
import { RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';

/** Answer header of every successful write: the store position the write's effects are at or before. */
export const POSITION_HEADER = 'Reprise-Position';
/** Request header: answer only once this replica's read models have applied that store position. */
export const MIN_POSITION_HEADER = 'Reprise-Min-Position';
/** How long a read waits for this replica's read models before answering 503. */
export const MIN_POSITION_WAIT_MS = 10_000;

type WaitFor = (position: number, timeoutMs: number) => Promise<boolean>;

/**
 * This process's read models that lag behind the store (projections, live activation views), each
 * with its way to wait until it has applied a position. Reads through any replica then see what a
 * client wrote through another one: the write answers `Reprise-Position`, the read sends it back as
 * `Reprise-Min-Position`.
 */
@Injectable()
export class ReadPositions {
  private readonly models = new Map<string, WaitFor>();

  register(name: string, waitFor: WaitFor): void {
    this.models.set(name, waitFor);
  }

  /** The read models still behind `position` after waiting up to `timeoutMs` (none: all reached it). */
  async behind(position: number, timeoutMs: number): Promise<string[]> {
    const reached = await Promise.all(
      [...this.models].map(async ([name, waitFor]) => [name, await waitFor(position, timeoutMs)] as const),
    );
    return reached.filter(([, ok]) => !ok).map(([name]) => name);
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Read-your-writes through any replica. A request with `Reprise-Min-Position: <n>` is handled once
 * every read model of this replica has applied position n (503 with Retry-After if it did not within
 * 10 s; 400 if the header is not a position). A successful write answers `Reprise-Position`: the
 * store's head once the write (and whatever completion it waited for) is recorded.
 */
@Injectable()
export class ReadYourWritesInterceptor implements NestInterceptor {
  constructor(
    private readonly positions: ReadPositions,
    @Inject(RAW_EVENT_STORE) private readonly store: EventStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const min = minPositionOf(request.headers[MIN_POSITION_HEADER.toLowerCase()]);
    const handled = min === null ? next.handle() : from(this.reach(min)).pipe(switchMap(() => next.handle()));
    if (READS.has(request.method)) return handled;
    return handled.pipe(
      mergeMap(async (body) => {
        if (!response.headersSent)
          response.setHeader(POSITION_HEADER, String(await this.store.headPosition()));
        return body;
      }),
    );
  }

  private async reach(position: number): Promise<void> {
    const behind = await this.positions.behind(position, MIN_POSITION_WAIT_MS);
    if (behind.length === 0) return;
    throw new HttpException(
      {
        code: 'read-model-behind',
        message: `this replica's read models (${behind.join(', ')}) did not reach position ${position} within ${MIN_POSITION_WAIT_MS / 1000} s; try again`,
        retryAfterSeconds: 1,
      },
      503,
    );
  }
}

/** The header's position, null when absent; a value that is not one position is refused by name. */
export function minPositionOf(value: string | string[] | undefined): number | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (/^\s*\d{1,15}\s*$/.test(text)) return Number(text);
  throw new RequestProblem(400, 'invalid-min-position', `${MIN_POSITION_HEADER} must be one store position`, [
    {
      field: MIN_POSITION_HEADER,
      message: 'must be a non-negative integer (a Reprise-Position answered by a write)',
    },
  ]);
}
