import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { TreeHead } from '@reprise/audit-log/tree-head';
import { validationError, type FieldError } from '@reprise/domain/shared/errors';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import { AuditLogService, type AuditVerification } from './audit-log.service';
import { TreeHeadDto } from './audit.dto';
import { AuditPage, AuditService, DEFAULT_LIMIT, MAX_LIMIT } from './audit.service';

/** `?name=` as a non-negative integer within [min, max]; pushes a field error otherwise. */
function intParam(
  raw: unknown,
  field: string,
  fallback: number | undefined,
  min: number,
  max: number,
  errors: FieldError[],
): number {
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    errors.push({
      field,
      message: raw === undefined ? 'is required' : `must be an integer from ${min} to ${max}`,
    });
    return fallback ?? min;
  }
  return Number(raw);
}

function requireValid(errors: FieldError[]): void {
  if (errors.length) throw validationError('invalid-query', 'invalid query parameters', errors);
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

const HEAD_SHAPE =
  '{tenantId, treeSize, rootHash, timestamp, keyId, signature}: Ed25519 (base64) over the canonical JSON (sorted keys, no spaces) of {keyId, rootHash, tenantId, timestamp, treeSize}; rootHash hex';

@ApiTags('audit')
@ApiBearerAuth()
@Roles('auditor', 'dr-manager')
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({ status: 403, description: 'Only auditor and dr-manager keys read the audit trail' })
@Controller('audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly log: AuditLogService,
  ) {}

  @Get('events')
  @ApiOperation({
    summary:
      "The tenant's whole history in global order, paged; each event's hash is its leaf in the tenant's log",
    description:
      'Each item says who caused the event (actor, role, request id) and why (correlation and causation ids). Personal data is shown in clear (or `erased`); the log hashes it encrypted, as the export carries it. Pass `nextAfter` as `after` for the next page; null at the end.',
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
      '{items: [{seq, stream, type, at, data, hash, hashRule, actor, role, requestId, correlationId, causationId, id, revision}], nextAfter}',
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
    requireValid(errors);
    return this.audit.events(actor.tenantId, afterSeq, size);
  }

  @Get('verify')
  @ApiOperation({
    summary: "Recomputes the tenant's whole log and checks it against every signed tree head",
    description:
      'Per event: the hash recorded when it was written, the stream revisions, the tenant. Per signed head (recorded in the log and kept in the file sink): the Ed25519 signature with a trusted key and the Merkle root. The first problem is named by its seq; `located` says whether that event is the one changed (`exact`) or the change lies between two heads (`between-heads`, with `range`).',
  })
  @ApiResponse({
    status: 200,
    description:
      '{valid, checkedEvents, firstInvalidSeq?, reason?, located?, stream?, revision?, leafIndex?, range?, problems, heads, unsignedEvents, hashRules}',
  })
  verify(@CurrentActor() actor: Actor): Promise<AuditVerification> {
    return this.log.verify(actor.tenantId);
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({
    summary: "Is today's log consistent with a tree head the auditor kept?",
    description: `Body: a signed tree head (${HEAD_SHAPE}). Valid when its signature verifies with a trusted key and the log, recomputed, still has its root at its size (and matches every other head). Gives the consistency proof from it to the latest head.`,
  })
  @ApiResponse({
    status: 200,
    description:
      '{valid, checkedEvents, treeSize, latestTreeHead, consistencyProof?, firstInvalidSeq?, reason?, ...}',
  })
  @ApiResponse({ status: 400, description: 'Not a tree head (every invalid field listed)' })
  verifyAgainst(@Body() body: TreeHeadDto, @CurrentActor() actor: Actor) {
    const { tenantId, treeSize, rootHash, timestamp, keyId, signature } = body;
    const head = { tenantId: tenantId ?? actor.tenantId, treeSize, rootHash, timestamp, keyId, signature };
    return this.log.verifyAgainst(actor.tenantId, head as TreeHead);
  }

  @Get('tree-heads/latest')
  @ApiOperation({ summary: "The tenant's latest signed tree head" })
  @ApiResponse({ status: 200, description: HEAD_SHAPE })
  @ApiResponse({ status: 404, description: 'No head signed yet' })
  async latestHead(@CurrentActor() actor: Actor): Promise<TreeHead> {
    return (await this.log.latestHead(actor.tenantId)).head;
  }

  @Get('tree-heads')
  @ApiOperation({
    summary: "The tenant's signed tree heads, oldest first",
    description:
      'A head is signed every AUDIT_TREE_HEAD_INTERVAL_SECONDS while the log grows, and at the end of each activation.',
  })
  @ApiQuery({ name: 'after', required: false, description: 'Only heads of a larger tree size' })
  @ApiQuery({ name: 'limit', required: false, description: `1 to ${MAX_LIMIT} (default ${MAX_LIMIT})` })
  @ApiResponse({
    status: 200,
    description: '{items: [{tenantId, treeSize, rootHash, timestamp, keyId, signature, seq}], nextAfter}',
  })
  async heads(@Query('after') after: unknown, @Query('limit') limit: unknown, @CurrentActor() actor: Actor) {
    const errors: FieldError[] = [];
    const afterSize = intParam(after, 'after', -1, 0, Number.MAX_SAFE_INTEGER, errors);
    const size = intParam(limit, 'limit', MAX_LIMIT, 1, MAX_LIMIT, errors);
    requireValid(errors);
    const all = (await this.log.heads(actor.tenantId)).filter((h) => h.head.treeSize > afterSize);
    const page = all.slice(0, size);
    return {
      items: page.map((h) => ({ ...h.head, seq: h.seq })),
      nextAfter: all.length > size ? page[page.length - 1].head.treeSize : null,
    };
  }

  @Get('public-key')
  @ApiOperation({
    summary: 'The Ed25519 public key that verifies the tree heads (and the earlier keys still trusted)',
  })
  @ApiResponse({ status: 200, description: '{keyId, publicKey (SPKI PEM), algorithm, format, trustedKeys}' })
  publicKey() {
    return this.log.publicKey();
  }

  @Get('proofs/inclusion')
  @ApiOperation({
    summary: 'RFC 9162 §2.1.3 inclusion proof of one event in the latest signed tree head',
    description: 'Also says which rule the event was hashed under (events written before the log say so).',
  })
  @ApiQuery({ name: 'seq', required: true, description: "The event's seq (global position)" })
  @ApiResponse({
    status: 200,
    description:
      '{seq, leafIndex, treeSize, leafHash, auditPath: [hex], rootHash, treeHead, hashRule, hashRuleNote, verified}',
  })
  @ApiResponse({ status: 400, description: 'seq missing or not an integer' })
  @ApiResponse({ status: 404, description: "No such event in the tenant's log, or no head signed yet" })
  @ApiResponse({ status: 409, description: 'The event is not covered by a signed head yet' })
  inclusion(@Query('seq') seq: unknown, @CurrentActor() actor: Actor) {
    const errors: FieldError[] = [];
    const at = intParam(seq, 'seq', undefined, 1, Number.MAX_SAFE_INTEGER, errors);
    requireValid(errors);
    return this.log.inclusionProof(actor.tenantId, at);
  }

  @Get('proofs/consistency')
  @ApiOperation({ summary: 'RFC 9162 §2.1.4 consistency proof: the log at `to` extends the log at `from`' })
  @ApiQuery({ name: 'from', required: true, description: 'The older tree size' })
  @ApiQuery({ name: 'to', required: true, description: 'The newer tree size' })
  @ApiResponse({ status: 200, description: '{from, to, proof: [hex], fromRootHash, toRootHash}' })
  @ApiResponse({ status: 400, description: 'from/to missing, not integers, from > to, or to beyond the log' })
  consistency(@Query('from') from: unknown, @Query('to') to: unknown, @CurrentActor() actor: Actor) {
    const errors: FieldError[] = [];
    const a = intParam(from, 'from', undefined, 0, Number.MAX_SAFE_INTEGER, errors);
    const b = intParam(to, 'to', undefined, 0, Number.MAX_SAFE_INTEGER, errors);
    if (!errors.length && a > b) errors.push({ field: 'from', message: 'must not be larger than to' });
    requireValid(errors);
    return this.log.consistencyProof(actor.tenantId, a, b);
  }

  @Get('export')
  @ApiOperation({
    summary:
      "Streams the tenant's log as NDJSON, for offline verification (`npx reprise-verify`) and archiving",
    description:
      'Lines: a header, every event as stored (personal data encrypted, as hashed; in clear under `readable`) with its leaf index and leaf hash, every signed tree head, the consistency proof between each two heads, an end line.',
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
      for await (const line of this.audit.exportLines(actor.tenantId)) {
        if (closed || res.destroyed) return;
        // Back-pressure: wait for the socket to drain before reading on.
        if (!res.write(`${JSON.stringify(line)}\n`)) await drained(res);
      }
      res.end();
    } catch (error) {
      // Headers are gone: the only honest signal left is a truncated (aborted) response.
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
