import type { AddressInfo } from 'node:net';
import { BadRequestException, type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { RecoveryCloudModule } from './recovery-cloud.module';
import type { RecoveryCloudOptions } from './recovery-cloud.options';
import { RecoveryCloudState } from './recovery-cloud.state';

export type { RecoveryCloudOptions } from './recovery-cloud.options';

export interface RunningRecoveryCloud {
  app: INestApplication;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Direct access to the simulator state (clock, model) for tests. */
  state: RecoveryCloudState;
  close(): Promise<void>;
}

/**
 * Builds the simulator app (not listening yet): validation, error format, and the outage
 * switch in front of every /cloud/v1 route.
 */
export async function createRecoveryCloudApp(options: RecoveryCloudOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(RecoveryCloudModule.forRoot(options), {
    logger: options.logging ? undefined : false,
    bufferLogs: !!options.logging,
  });
  if (options.logging) app.useLogger(app.get(Logger));
  const state = app.get(RecoveryCloudState);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/cloud/')) return next();
    state.apiStats.requests++;
    const outage = state.currentOutage();
    if (!outage) return next();
    state.apiStats.outageRejections++;
    if (outage.mode === 'drop') {
      req.socket.destroy();
      return;
    }
    res.setHeader('Retry-After', String(Math.ceil(outage.remainingMs / 1000)));
    res.status(503).json({
      statusCode: 503,
      code: 'cloud-unreachable',
      message: `the recovery cloud is unreachable for ${Math.ceil(outage.remainingMs / 1000)} more second(s)`,
    });
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new BadRequestException({
          code: 'invalid-request',
          message: errors.flatMap((e) => flatten(e)).join('; '),
        }),
    }),
  );
  app.enableShutdownHooks();
  return app;
}

function flatten(
  error: { property: string; constraints?: Record<string, string>; children?: unknown[] },
  prefix = '',
): string[] {
  const path = prefix ? `${prefix}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((m) => `${path}: ${m}`);
  const children = (error.children ?? []).flatMap((c) => flatten(c as typeof error, path));
  return [...own, ...children];
}

/** Builds and starts the simulator (port 0 = any free port) and returns its URL. */
export async function startRecoveryCloud(
  options: RecoveryCloudOptions & { port?: number; host?: string } = {},
): Promise<RunningRecoveryCloud> {
  const app = await createRecoveryCloudApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen(options.port ?? 0, host);
  const address = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://${host}:${address.port}`,
    port: address.port,
    state: app.get(RecoveryCloudState),
    close: () => app.close(),
  };
}
