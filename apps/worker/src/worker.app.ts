import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ProblemDetailsFilter } from '@reprise/common';
import { WorkerModule } from './worker.module';

export async function createWorkerApp(options: { logger?: boolean } = {}): Promise<INestApplication> {
  // A start-up failure is rethrown, its buffered logs dropped: main.ts says it in one line.
  const app = await NestFactory.create(WorkerModule, {
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
  });
  if (options.logger !== false) app.useLogger(app.get(Logger));
  else app.useLogger(false);
  app.flushLogs();
  app.useGlobalFilters(new ProblemDetailsFilter());
  return app;
}
