import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { conflict, notFound } from '@reprise/domain/shared/errors';
import { streams } from '@reprise/domain/shared/streams';
import { apiKeyDecider } from '@reprise/domain/tenant/api-key';
import { tenantDecider, TenantDetails } from '@reprise/domain/tenant/tenant';
import { handleCommand } from '@reprise/event-store/command-handling';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { READ_MODELS } from '../read-models/read-models.module';
import { Actor, metadataFor } from '../auth/actor';
import type { ApiKeyRow } from '../auth/api-keys.projection';
import { hashToken, newApiToken } from '../auth/tokens';
import type {
  ApiKeyView,
  CreateApiKeyDto,
  CreateTenantDto,
  IssuedApiKeyView,
  TenantView,
  UpdateTenantDto,
} from './tenants.dto';

@Injectable()
export class TenantsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  private row(id: string): TenantView | null {
    const row = this.readModels.db
      .prepare<[string], { details: string; version: number }>(
        'SELECT details, version FROM tenants WHERE id = ?',
      )
      .get(id);
    return row ? { ...(JSON.parse(row.details) as TenantDetails), version: row.version } : null;
  }

  get(id: string): TenantView {
    const tenant = this.row(id);
    if (!tenant) throw notFound('tenant', id);
    return tenant;
  }

  list(): TenantView[] {
    return this.readModels.db
      .prepare<[], { details: string; version: number }>(
        'SELECT details, version FROM tenants ORDER BY customer_number',
      )
      .all()
      .map((r) => ({ ...(JSON.parse(r.details) as TenantDetails), version: r.version }));
  }

  async create(dto: CreateTenantDto, actor: Actor, request: Request): Promise<TenantView> {
    const taken = this.readModels.db
      .prepare<[string], { id: string }>('SELECT id FROM tenants WHERE customer_number = ?')
      .get(dto.customerNumber);
    if (taken)
      throw conflict(
        'duplicate-customer-number',
        `a tenant with customer number ${dto.customerNumber} already exists`,
        {
          errors: [{ field: 'customerNumber', message: 'already used by another tenant' }],
        },
      );
    const tenantId = randomUUID();
    const result = await handleCommand(
      this.store,
      streams.tenant(tenantId),
      tenantDecider,
      { type: 'CreateTenant', tenantId, input: dto, now: this.clock.now().toISOString() },
      { ...metadataFor(actor, request), tenantId },
      { expectedVersion: -1 },
    );
    await this.readModels.waitFor(result.position);
    return { ...(result.state as TenantDetails), version: result.version };
  }

  async update(
    id: string,
    dto: UpdateTenantDto,
    actor: Actor,
    request: Request,
    expectedVersion?: number,
  ): Promise<TenantView> {
    this.get(id);
    const result = await handleCommand(
      this.store,
      streams.tenant(id),
      tenantDecider,
      { type: 'ChangeTenantSettings', changes: dto },
      { ...metadataFor(actor, request), tenantId: id },
      { expectedVersion },
    );
    if (result.events.length) await this.readModels.waitFor(result.position);
    return { ...(result.state as TenantDetails), version: result.version };
  }

  async issueKey(
    tenantId: string,
    dto: CreateApiKeyDto,
    actor: Actor,
    request: Request,
  ): Promise<IssuedApiKeyView> {
    this.get(tenantId);
    const keyId = randomUUID();
    const token = newApiToken();
    const result = await handleCommand(
      this.store,
      streams.apiKey(keyId),
      apiKeyDecider,
      {
        type: 'IssueApiKey',
        keyId,
        tenantId,
        name: dto.name,
        role: dto.role,
        tokenHash: hashToken(token),
        tokenPrefix: token.slice(0, 10),
        now: this.clock.now().toISOString(),
      },
      { ...metadataFor(actor, request), tenantId },
      { expectedVersion: -1 },
    );
    await this.readModels.waitFor(result.position);
    const s = result.state!;
    return {
      id: keyId,
      tenantId,
      name: s.name,
      role: s.role,
      tokenPrefix: s.tokenPrefix,
      createdAt: s.issuedAt,
      revokedAt: null,
      token,
    };
  }

  private keyRow(tenantId: string, keyId: string): ApiKeyRow {
    const row = this.readModels.db
      .prepare<[string, string], ApiKeyRow>('SELECT * FROM api_keys WHERE key_id = ? AND tenant_id = ?')
      .get(keyId, tenantId);
    if (!row) throw notFound('api-key', keyId);
    return row;
  }

  listKeys(tenantId: string): ApiKeyView[] {
    this.get(tenantId);
    return this.readModels.db
      .prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY issued_at, key_id')
      .all(tenantId)
      .map(toKeyView);
  }

  async revokeKey(tenantId: string, keyId: string, actor: Actor, request: Request): Promise<ApiKeyView> {
    this.get(tenantId);
    this.keyRow(tenantId, keyId);
    const result = await handleCommand(
      this.store,
      streams.apiKey(keyId),
      apiKeyDecider,
      { type: 'RevokeApiKey', now: this.clock.now().toISOString() },
      { ...metadataFor(actor, request), tenantId },
    );
    if (result.events.length) await this.readModels.waitFor(result.position);
    return toKeyView(this.keyRow(tenantId, keyId));
  }
}

const toKeyView = (r: ApiKeyRow): ApiKeyView => ({
  id: r.key_id,
  tenantId: r.tenant_id,
  name: r.name,
  role: r.role as ApiKeyView['role'],
  tokenPrefix: r.token_prefix,
  createdAt: r.issued_at,
  revokedAt: r.revoked_at,
});
