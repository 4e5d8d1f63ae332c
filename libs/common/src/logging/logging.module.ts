import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Query parameters that carry personal data (`GET /privacy/export?email=`): never written to a log. */
const PERSONAL_QUERY = /([?&](?:email|name|phone)=)[^&#]*/gi;

/** The request as logged: the standard fields, personal query values replaced. */
export function redactRequest<T extends { url?: string; query?: Record<string, unknown> }>(req: T): T {
  const query = req.query
    ? Object.fromEntries(
        Object.entries(req.query).map(([k, v]) => [k, /^(email|name|phone)$/i.test(k) ? '[redacted]' : v]),
      )
    : req.query;
  return { ...req, url: req.url?.replace(PERSONAL_QUERY, '$1[redacted]'), query };
}

/** Structured JSON logs (pino) with a request id on every line, echoed in `x-request-id`. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      // Read when the app is built, not when this file is imported.
      useFactory: () => ({
        // Every route, in path-to-regexp v8 syntax (the default `*` makes Nest warn on each start).
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        pinoHttp: {
          level: process.env.LOG_LEVEL ?? 'info',
          genReqId: (req: IncomingMessage, res: ServerResponse) => {
            const incoming = req.headers[REQUEST_ID_HEADER];
            const id =
              typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
            res.setHeader(REQUEST_ID_HEADER, id);
            return id;
          },
          customProps: () => ({ app: process.env.REPRISE_APP ?? 'reprise' }),
          autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          serializers: { req: redactRequest },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
