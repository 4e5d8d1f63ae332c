import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { ConfigValidationError } from '../model/config';
import { CloudRequestError } from '../model/errors';

const CODES: Record<number, string> = {
  400: 'bad-request',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  422: 'unprocessable',
  500: 'internal-error',
  502: 'bad-gateway',
  503: 'unavailable',
};

/** Every error of the simulator as `{statusCode, code, message, ...}`. */
@Catch()
export class CloudErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('RecoveryCloud');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof CloudRequestError) {
      res.status(exception.status).json({
        statusCode: exception.status,
        code: exception.code,
        message: exception.message,
        ...exception.details,
      });
      return;
    }
    if (exception instanceof ConfigValidationError) {
      res.status(422).json({
        statusCode: 422,
        code: 'invalid-config',
        message: exception.message,
        errors: exception.problems,
      });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const payload =
        typeof body === 'object' && body !== null
          ? (body as Record<string, unknown>)
          : { message: String(body) };
      const message = Array.isArray(payload.message)
        ? payload.message.join('; ')
        : String(payload.message ?? exception.message);
      res.status(status).json({
        statusCode: status,
        code: typeof payload.code === 'string' ? payload.code : (CODES[status] ?? `http-${status}`),
        message,
        ...(Array.isArray(payload.message) ? { errors: payload.message } : {}),
      });
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    res
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .json({ statusCode: 500, code: 'internal-error', message: 'internal error' });
  }
}
