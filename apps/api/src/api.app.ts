import { INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Express } from 'express';
import { Logger } from 'nestjs-pino';
import cookieParser from 'cookie-parser';
import { Environment, InputValidationPipe, ProblemDetailsFilter, useRequestParsing } from '@reprise/common';
import { ApiModule } from './api.module';
import { documentAuth, documentSessionAuth } from './auth/openapi';
import { consoleStatic, defaultConsoleDir } from './console/console-static';

export const API_PREFIX = 'api/v1';

/** Applies everything main.ts applies, so tests run the same app that production runs. */
export function configureApiApp(app: INestApplication): INestApplication {
  const express = app as NestExpressApplication;
  useRequestParsing(app);
  express.disable('x-powered-by');
  express.use(cookieParser());
  const trustProxy = app.get(Environment).TRUST_PROXY;
  if (trustProxy !== undefined) express.set('trust proxy', trustProxyValue(trustProxy));
  express.use(consoleStatic(app.get(Environment).CONSOLE_DIR ?? defaultConsoleDir()));
  app.setGlobalPrefix(API_PREFIX, { exclude: [{ path: 'health', method: RequestMethod.GET }] });
  app.useGlobalPipes(new InputValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  const document = documentSessionAuth(
    SwaggerModule.createDocument(
      app,
      documentAuth(
        new DocumentBuilder()
          .setTitle('Reprise API')
          .setDescription(
            'Event-sourced disaster-recovery orchestration: estate, plan, activations, reports, audit.',
          )
          .setVersion('1'),
      ).build(),
    ),
  );
  // The page at /docs; the document as JSON at Nest's conventional /docs-json and as YAML at
  // /docs-yaml; /docs/openapi.json stays as an alias of the JSON.
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
  (express.getHttpAdapter().getInstance() as Express).get('/docs/openapi.json', (_req, res) =>
    res.json(document),
  );
  return app;
}

/** TRUST_PROXY as Express reads it: `true`/`false`, a hop count, or addresses and subnets. */
function trustProxyValue(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

export async function createApiApp(options: { logger?: boolean } = {}): Promise<INestApplication> {
  // A start-up failure is rethrown, its buffered logs dropped: main.ts says it in one line.
  const app = await NestFactory.create<NestExpressApplication>(ApiModule, {
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
    bodyParser: false,
  });
  if (options.logger !== false) app.useLogger(app.get(Logger));
  else app.useLogger(false);
  app.flushLogs();
  return configureApiApp(app);
}
