import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  type INestApplication,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { validationError, type FieldError } from '@reprise/domain/shared/errors';
import { fieldPath, shortField } from './field-path';
import { ProblemDetailsFilter, RequestProblem } from './problem-details.filter';

/** Largest request body (JSON or CSV) any route reads. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Deepest JSON any route reads: the deepest body of the API today (an import row's application,
 * `[{applications: [{kind}]}]`) is 3 levels. Deeper documents are refused before anything walks
 * them recursively (class-transformer, class-validator, the domain).
 */
export const MAX_JSON_DEPTH = 16;

const JSON_TYPES = ['application/json', '+json'];

/** Media types a route declares with `@ApiConsumes` (the OpenAPI document says the same thing). */
const API_CONSUMES = 'swagger/apiConsumes';

/**
 * The path of the first value nested deeper than `maxDepth` (the root is level 1), or null.
 * Iterative: a document of any depth is walked without recursion.
 */
export function tooDeep(value: unknown, maxDepth = MAX_JSON_DEPTH): string | null {
  const stack: Array<[unknown, string, number]> = [[value, '', 1]];
  while (stack.length) {
    const [node, path, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return shortField(path || 'body');
    for (const [key, child] of Object.entries(node))
      if (child !== null && typeof child === 'object') stack.push([child, fieldPath(path, key), depth + 1]);
  }
  return null;
}

/**
 * How every request is read, before Nest's pipeline, in this order: a path that cannot be decoded
 * (a malformed %-escape, which the router would otherwise answer without naming anything), the
 * body parsers (JSON: `application/json`, `application/*+json`; CSV), the depth guard, then the
 * error handler that answers any failure of these steps (malformed JSON, a body that is not the
 * gzip/deflate/br it claims, an unknown encoding or charset, too large, too deep) with problem+json
 * through the one filter. Then, in Nest, the content-type rule of each route.
 */
export function useRequestParsing(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.use((req: Request, _res: Response, next: NextFunction) => {
    try {
      decodeURIComponent(req.path);
      next();
    } catch {
      next(
        new RequestProblem(400, 'invalid-path-parameter', 'the path holds a malformed %-escape', [
          { field: 'path', message: 'holds a malformed %-escape' },
        ]),
      );
    }
  });
  express.useBodyParser('json', {
    limit: BODY_LIMIT_BYTES,
    type: ['application/json', 'application/*+json'],
  });
  express.useBodyParser('text', { limit: BODY_LIMIT_BYTES, type: 'text/csv' });
  express.use((req: Request, _res: Response, next: NextFunction) => {
    const path = tooDeep(req.body);
    if (path === null) return next();
    next(
      validationError('too-deep', `the body nests deeper than ${MAX_JSON_DEPTH} levels`, [
        { field: path, message: `nests deeper than ${MAX_JSON_DEPTH} levels` },
      ]),
    );
  });
  express.use(ProblemDetailsFilter.requestBodyErrors());
  app.useGlobalInterceptors(new RequestBodyInterceptor(new Reflector()));
}

/** Whether the handler reads a body (`@Body()`): the route's own declaration, nothing to keep in sync. */
function takesBody(context: ExecutionContext): boolean {
  const args: Record<string, unknown> =
    Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), context.getHandler().name) ?? {};
  return Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.BODY));
}

/** A request that carries content: parsed by a body parser, or bytes announced that none could read. */
function hasContent(req: Request): boolean {
  if (req.body !== undefined) return true;
  const length = req.headers['content-length'];
  if (length !== undefined) return length.trim() !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

const isEmptyObject = (body: unknown) =>
  body !== null && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0;

/**
 * Content types, for every route: a route that takes a body answers 415 to a body of any type it
 * does not declare (JSON by default; the import also declares CSV); a route without a body refuses
 * a non-empty one (415 when it is not JSON, 400 naming its fields when it is), instead of running as
 * if nothing had been sent. An empty JSON object counts as no body.
 */
@Injectable()
export class RequestBodyInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    if (!hasContent(req)) return next.handle();
    const contentType = req.headers['content-type'];
    if (takesBody(context)) {
      const declared = this.reflector.getAllAndOverride<string[] | undefined>(API_CONSUMES, [
        context.getHandler(),
        context.getClass(),
      ]) ?? ['application/json'];
      const accepted = declared.flatMap((type) => (type === 'application/json' ? JSON_TYPES : [type]));
      if (!contentType || !req.is(accepted))
        throw unsupportedMediaType(`this route reads ${declared.join(' or ')}`, contentType);
      return next.handle();
    }
    if (!contentType || !req.is(JSON_TYPES))
      throw unsupportedMediaType('this route takes no body', contentType);
    if (isEmptyObject(req.body)) return next.handle();
    const errors: FieldError[] =
      req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body)
        ? Object.keys(req.body).map((key) => ({
            field: shortField(fieldPath('', key)),
            message: 'is not a known field',
          }))
        : [{ field: 'body', message: 'this route takes no body' }];
    throw validationError('unexpected-body', 'this route takes no body', errors);
  }
}

function unsupportedMediaType(why: string, contentType: string | undefined) {
  return new RequestProblem(
    415,
    'unsupported-media-type',
    `${why}; got ${contentType ? `"${shortField(contentType)}"` : 'no Content-Type'}`,
    [{ field: 'Content-Type', message: why }],
  );
}
