import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, DomainErrorKind, FieldError } from '@reprise/domain/shared/errors';
import { WrongExpectedVersionError } from '@reprise/event-store/event-store.port';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  errors?: FieldError[];
  instance?: string;
  [key: string]: unknown;
}

const STATUS_OF: Record<DomainErrorKind, number> = {
  validation: 400,
  'not-found': 404,
  forbidden: 403,
  conflict: 409,
  rule: 422,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'code', 'errors', 'instance']);

const typeFor = (code: string) => `https://reprise.dev/problems/${code}`;

/** Thrown by the validation pipe: every invalid field listed. */
export class InvalidInputException extends HttpException {
  constructor(readonly errors: FieldError[]) {
    super({ message: 'invalid input', errors }, HttpStatus.BAD_REQUEST);
  }
}

/** A problem of the request itself (its media type, encoding, size), answered with its own status. */
export class RequestProblem extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super({ message, code, errors }, status);
  }
}

/** Why body-parser (or the decompression under it) could not read a body, as a RequestProblem. */
function bodyReadProblem(error: unknown, request: Request): RequestProblem {
  const e = (error ?? {}) as { type?: string; charset?: string };
  const encoding = String(request.headers['content-encoding'] ?? 'identity').slice(0, 40);
  switch (e.type) {
    case 'entity.too.large':
      return new RequestProblem(413, 'payload-too-large', `the request body is larger than 1 MB`, [
        { field: 'body', message: 'is larger than 1 MB' },
      ]);
    case 'entity.parse.failed':
      return new RequestProblem(400, 'malformed-json', 'request body is not valid JSON', [
        { field: 'body', message: 'malformed JSON' },
      ]);
    case 'charset.unsupported':
      return new RequestProblem(415, 'unsupported-charset', `charset ${e.charset ?? ''} is not supported`, [
        { field: 'Content-Type', message: 'charset must be utf-8' },
      ]);
    case 'encoding.unsupported':
      return new RequestProblem(
        415,
        'unsupported-content-encoding',
        `content encoding ${encoding} is not supported`,
        [{ field: 'Content-Encoding', message: 'must be gzip, deflate, br or identity' }],
      );
    case 'request.size.invalid':
      return new RequestProblem(400, 'body-length-mismatch', 'the body does not have the announced length', [
        { field: 'Content-Length', message: 'does not match the body' },
      ]);
    default:
      // zlib's Z_DATA_ERROR, brotli's errors (a body that is not the gzip, deflate or br it
      // claims), an aborted upload, or anything else that kept the body from being read.
      return encoding === 'identity'
        ? new RequestProblem(400, 'unreadable-body', 'the request body could not be read', [
            { field: 'body', message: 'could not be read' },
          ])
        : new RequestProblem(400, 'unreadable-body', `the body is not valid ${encoding} data`, [
            { field: 'body', message: `is not valid ${encoding} data (Content-Encoding)` },
          ]);
  }
}

/**
 * The one place where errors become HTTP: domain errors, validation, concurrency conflicts and
 * body-parser failures map to application/problem+json. Nothing else writes error responses.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  static toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof DomainError) {
      const status = STATUS_OF[exception.kind];
      const { errors, ...rest } = exception.details;
      // Extra details first: they may never replace the standard members (a detail named `status`
      // would otherwise turn a 409 into a body saying something else).
      const extras = Object.fromEntries(Object.entries(rest).filter(([key]) => !RESERVED.has(key)));
      return {
        ...extras,
        type: typeFor(exception.code),
        title: TITLES[status],
        status,
        detail: exception.message,
        code: exception.code,
        ...(errors && errors.length ? { errors } : {}),
      };
    }
    if (exception instanceof WrongExpectedVersionError) {
      return {
        type: typeFor('version-conflict'),
        title: 'Conflict',
        status: 409,
        code: 'version-conflict',
        detail: 'the resource was changed by someone else; reload it and try again',
        expectedVersion: exception.expected,
        currentVersion: exception.actual,
      };
    }
    if (exception instanceof InvalidInputException) {
      return {
        type: typeFor('invalid-input'),
        title: 'Bad Request',
        status: 400,
        code: 'invalid-input',
        detail: exception.errors.map((e) => `${e.field}: ${e.message}`).join('; '),
        errors: exception.errors,
      };
    }
    if (exception instanceof RequestProblem) {
      return {
        type: typeFor(exception.code),
        title: TITLES[exception.getStatus()] ?? 'Bad Request',
        status: exception.getStatus(),
        code: exception.code,
        detail: exception.message,
        ...(exception.errors.length ? { errors: exception.errors } : {}),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : Array.isArray((response as { message?: unknown }).message)
            ? (response as { message: string[] }).message.join('; ')
            : String((response as { message?: unknown }).message ?? exception.message);
      const code =
        (response as { code?: string }).code ??
        (TITLES[status] ?? 'error').toLowerCase().replace(/\s+/g, '-');
      const extras =
        typeof response === 'object' && response !== null
          ? Object.fromEntries(
              Object.entries(response).filter(
                ([key]) => !RESERVED.has(key) && key !== 'message' && key !== 'statusCode' && key !== 'error',
              ),
            )
          : {};
      return {
        ...extras,
        type: typeFor(code),
        title: TITLES[status] ?? 'Error',
        status,
        code,
        detail: message,
      };
    }
    return {
      type: typeFor('internal'),
      title: 'Internal Server Error',
      status: 500,
      code: 'internal',
      detail: 'an unexpected error occurred',
    };
  }

  /**
   * Express error middleware, registered right after the request parsing: every error that reaches
   * it is a failure to read the request (a path with a malformed %-escape, malformed JSON, a body
   * that is not the gzip it claims, an unknown encoding or charset, too large, too deep), which
   * happens before Nest's pipeline. It answers with the same problem details as the filter, never
   * 500.
   */
  static requestBodyErrors() {
    return (error: unknown, request: Request, response: Response, _next: (error?: unknown) => void): void => {
      const problem = ProblemDetailsFilter.toProblem(
        error instanceof DomainError || error instanceof RequestProblem
          ? error
          : bodyReadProblem(error, request),
      );
      response
        .status(problem.status)
        .type('application/problem+json')
        .json({ ...problem, instance: request.originalUrl ?? request.url });
    };
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const response = ctx.getResponse<Response>();
    const request = ctx.getRequest<Request>();
    const problem = ProblemDetailsFilter.toProblem(exception);
    if (problem.status >= 500)
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    if (response.headersSent) return;
    // A throttled answer says when to come back (RFC 9110 §10.2.3).
    if (typeof problem.retryAfterSeconds === 'number')
      response.setHeader('Retry-After', String(problem.retryAfterSeconds));
    response
      .status(problem.status)
      .type('application/problem+json')
      .json({ ...problem, instance: request.originalUrl ?? request.url });
  }
}
