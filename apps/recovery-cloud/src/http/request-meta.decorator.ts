import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { RequestMeta } from '../model/cloud-model';
import { canonicalJson } from './views';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * Who/what a mutating provider request is: tenant (from the path), the mandatory
 * `Idempotency-Key` header, and a fingerprint of method + path + body.
 */
export const ProviderRequest = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta => {
  const req = ctx.switchToHttp().getRequest<Request>();
  const key = req.headers[IDEMPOTENCY_KEY_HEADER];
  if (typeof key !== 'string' || key.trim() === '') {
    throw new BadRequestException({
      code: 'idempotency-key-required',
      message: 'the Idempotency-Key header is required on every mutating call',
    });
  }
  if (key.length > 255) {
    throw new BadRequestException({
      code: 'idempotency-key-invalid',
      message: 'the Idempotency-Key header must be at most 255 characters',
    });
  }
  return {
    tenantId: String(req.params.tenantId),
    idempotencyKey: key,
    fingerprint: `${req.method} ${req.path} ${canonicalJson(req.body ?? {})}`,
  };
});
