import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { validationError, type FieldError } from '@reprise/domain/shared/errors';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import {
  AuditPage,
  AuditService,
  AuditVerification,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  toAuditItem,
} from './audit.service';

/** `?name=` as a non-negative integer within [min, max]; pushes a field error otherwise. */
function intParam(
  raw: unknown,
  field: string,
  fallback: number,
  min: number,
  max: number,
  errors: FieldError[],
): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    errors.push({ field, message: `must be an integer from ${min} to ${max}` });
    return fallback;
  }
  return Number(raw);
}

/** Resolves when the socket can take more (or is gone), leaving no listener behind. */
function drained(res: Response): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

@ApiTags('audit')
@ApiBearerAuth()
@Roles('auditor', 'dr-manager')
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({ status: 403, description: 'Only auditor and dr-manager keys read the audit trail' })
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('events')
  @ApiOperation({
    summary: "The tenant's whole history in global order, hash-chained, paged",
    description:
      'Each item says who caused the event (actor, role, request id) and why (correlation and causation ids). Pass `nextAfter` as `after` for the next page; null at the end.',
  })
  @ApiQuery({
    name: 'after',
    required: false,
    description: 'Return events strictly after this seq (default 0)',
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: `Page size, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`,
  })
  @ApiResponse({
    status: 200,
    description:
      '{items: [{seq, stream, type, at, data, hash, prevHash, actor, role, requestId, correlationId, causationId}], nextAfter}',
  })
  @ApiResponse({
    status: 400,
    description: 'after or limit is not a valid integer (every invalid field listed)',
  })
  events(
    @Query('after') after: unknown,
    @Query('limit') limit: unknown,
    @CurrentActor() actor: Actor,
  ): Promise<AuditPage> {
    const errors: FieldError[] = [];
    const afterSeq = intParam(after, 'after', 0, 0, Number.MAX_SAFE_INTEGER, errors);
    const size = intParam(limit, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT, errors);
    if (errors.length) throw validationError('invalid-query', 'invalid query parameters', errors);
    return this.audit.events(actor.tenantId, afterSeq, size);
  }

  @Get('verify')
  @ApiOperation({ summary: "Walks every stream's hash chain of the tenant and names the first broken event" })
  @ApiResponse({ status: 200, description: '{valid, checkedEvents, firstInvalidSeq?, stream?, reason?}' })
  verify(@CurrentActor() actor: Actor): Promise<AuditVerification> {
    return this.audit.verify(actor.tenantId);
  }

  @Get('export')
  @ApiOperation({
    summary:
      "Streams the tenant's whole history as NDJSON (one event per line), for reversibility and off-site archiving",
    description:
      'Each line is an audit item plus the full `metadata`, enough to re-check the hash chain offline (hash = sha256(prevHash, type, canonical data, canonical metadata)).',
  })
  @ApiProduces('application/x-ndjson')
  async export(@CurrentActor() actor: Actor, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.status(200);
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="reprise-audit-${actor.tenantId}.ndjson"`);
    res.setHeader('Cache-Control', 'no-store');
    let closed = false;
    req.on('close', () => (closed = true));
    try {
      for await (const event of this.audit.exportEvents(actor.tenantId)) {
        if (closed || res.destroyed) return;
        const line = `${JSON.stringify({ ...toAuditItem(event), metadata: event.metadata })}\n`;
        // Back-pressure: wait for the socket to drain before reading on.
        if (!res.write(line)) await drained(res);
      }
      res.end();
    } catch (error) {
      // Headers are gone: the only honest signal left is a truncated (aborted) response.
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
