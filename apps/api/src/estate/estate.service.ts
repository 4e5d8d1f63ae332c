import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { COMPLETIONS } from '@reprise/common/completions/completions.module';
import { validateInput } from '@reprise/common/http/validation';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { conflict, notFound, validationError } from '@reprise/domain/shared/errors';
import type { RunbookStep, RunbookStepInput } from '@reprise/domain/plan/runbook';
import { streams } from '@reprise/domain/shared/streams';
import {
  estateRegistryDecider,
  type EstateChangeDecided,
  type EstateRegistryCommand,
  type EstateRegistryEvent,
  type EstateRegistryState,
  type ImportRow,
  type ImportRowError,
} from '@reprise/domain/estate/estate-registry';
import {
  evolveServer,
  ServerCommand,
  serverDecider,
  ServerSpec,
  ServerState,
} from '@reprise/domain/estate/server';
import { AggregateExecutor } from '@reprise/event-store/aggregate-executor';
import { handleCommand, loadAggregate } from '@reprise/event-store/command-handling';
import type { CompletionRunner } from '@reprise/event-store/completions/completion-runner';
import {
  EVENT_STORE,
  WrongExpectedVersionError,
  type EventStore,
  type MetadataInput,
  type RecordedEvent,
} from '@reprise/event-store/event-store.port';
import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { readTenantEstate } from '@reprise/read-models/estate.queries';
import { READ_MODELS } from '../read-models/read-models.module';
import { Actor, metadataFor } from '../auth/actor';
import { CreateServerDto, HistoryEntryView, ListServersQuery, ServerView } from './dto/server.dto';

export const MAX_IMPORT_ROWS = 10000;

interface ServerRow {
  id: string;
  hostname: string;
  protection_class: string;
  status: string;
  version: number;
  depends_on: string;
  state: string;
}

export function toServerView(state: ServerState, version: number): ServerView {
  const { tenantId: _t, dependsOnIds: _d, ...rest } = state;
  return { ...rest, version } as ServerView;
}

export function specFromDto(dto: CreateServerDto): ServerSpec {
  return {
    hostname: dto.hostname,
    kind: dto.kind,
    platform: dto.platform,
    os: { family: dto.os.family, name: dto.os.name, version: dto.os.version },
    backupMode: dto.backupMode,
    applications: (dto.applications ?? []).map((a) => ({ kind: a.kind, version: a.version })),
    template: { vcpu: dto.template.vcpu, ramGiB: dto.template.ramGiB },
    disks: dto.disks.map((d) => ({ name: d.name, sizeGiB: d.sizeGiB })),
    protectionClass: dto.protectionClass,
    dependsOn: [...new Set(dto.dependsOn ?? [])],
    rtoMinutes: dto.rtoMinutes ?? null,
    rpoMinutes: dto.rpoMinutes ?? null,
    recoveryMethod: dto.recoveryMethod ?? 'backup-restore',
    antiAffinityGroup: dto.antiAffinityGroup ?? null,
  };
}

/**
 * Estate writes. A change that involves other servers (enrol, import, dependencies, protection
 * class, archive, decommission) is decided on the tenant's estate registry in ONE append with an
 * expected revision; the servers' streams record it as completions (the completion runner, which
 * rolls every decision forward after a crash too). Changes of one server alone are decided on its
 * own stream. Each write answers once its events are in the read models.
 */
@Injectable()
export class EstateService {
  private readonly logger = new Logger(EstateService.name);
  private readonly registry: AggregateExecutor<
    EstateRegistryCommand,
    EstateRegistryState,
    EstateRegistryEvent
  >;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(COMPLETIONS) private readonly completions: CompletionRunner,
  ) {
    this.registry = new AggregateExecutor(store, estateRegistryDecider, { maxCached: 1000 });
  }

  // ---------- queries ----------

  /** Every server state of the tenant (any status) from the read model. */
  allServers(tenantId: string): ServerState[] {
    return this.readModels.db
      .prepare<[string], { state: string }>(
        'SELECT state FROM servers WHERE tenant_id = ? ORDER BY hostname, id',
      )
      .all(tenantId)
      .map((r) => JSON.parse(r.state) as ServerState);
  }

  get(tenantId: string, id: string): ServerView {
    const row = this.readModels.db
      .prepare<[string, string], ServerRow>('SELECT * FROM servers WHERE id = ? AND tenant_id = ?')
      .get(id, tenantId);
    if (!row) throw notFound('server', id);
    return toServerView(JSON.parse(row.state), row.version);
  }

  list(tenantId: string, query: ListServersQuery): { items: ServerView[]; total: number } {
    const where = ['tenant_id = ?'];
    const params: (string | number)[] = [tenantId];
    if (query.protectionClass) {
      where.push('protection_class = ?');
      params.push(query.protectionClass);
    }
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    const total = (
      this.readModels.db
        .prepare(`SELECT COUNT(*) AS n FROM servers WHERE ${where.join(' AND ')}`)
        .get(...params) as { n: number }
    ).n;
    const rows = this.readModels.db
      .prepare(
        `SELECT state, version FROM servers WHERE ${where.join(' AND ')} ORDER BY hostname, id LIMIT ? OFFSET ?`,
      )
      .all(...params, query.limit ?? 1000, query.offset ?? 0) as Array<{ state: string; version: number }>;
    return { items: rows.map((r) => toServerView(JSON.parse(r.state), r.version)), total };
  }

  async history(tenantId: string, id: string): Promise<HistoryEntryView[]> {
    this.get(tenantId, id);
    const events = await this.store.readStream(streams.server(tenantId, id));
    return events.map((e) => ({
      seq: e.revision,
      type: e.type,
      at: e.metadata.recordedAt,
      data: e.data,
      actor: e.metadata.actor,
      role: e.metadata.role,
    }));
  }

  // ---------- commands ----------

  async enrol(actor: Actor, request: Request, dto: CreateServerDto): Promise<ServerView> {
    const serverId = randomUUID();
    const decision = await this.decide(
      actor.tenantId,
      { type: 'EnrolServer', serverId, tenantId: actor.tenantId, spec: specFromDto(dto), now: this.now() },
      metadataFor(actor, request),
    );
    return this.serverAfter(actor.tenantId, serverId, decision!);
  }

  /**
   * A change that involves other servers, decided on the estate registry. `expectedVersion`
   * (If-Match) is the server's version: every decision already taken is completed before it is
   * compared, and the decision is taken only if the registry did not move since.
   */
  async changeEstateWide(
    actor: Actor,
    request: Request,
    id: string,
    build: (now: string) => EstateRegistryCommand,
    expectedVersion?: number,
  ): Promise<ServerView> {
    this.get(actor.tenantId, id);
    const command = build(this.now());
    const metadata = metadataFor(actor, request);
    const stream = streams.server(actor.tenantId, id);
    for (let attempt = 0; ; attempt++) {
      let registryRevision: number | undefined;
      if (expectedVersion !== undefined) {
        registryRevision = await this.registryRevision(actor.tenantId, metadata);
        await this.completions.drain();
        const current = await this.store.streamRevision(stream);
        if (current !== expectedVersion)
          throw new WrongExpectedVersionError(stream, expectedVersion, current);
      }
      try {
        const decision = await this.decide(actor.tenantId, command, metadata, registryRevision);
        return decision ? await this.serverAfter(actor.tenantId, id, decision) : this.get(actor.tenantId, id);
      } catch (error) {
        // The estate moved between the If-Match check and the decision: check again.
        const raced = error instanceof WrongExpectedVersionError && error.stream !== stream;
        if (!raced || attempt >= 5) throw error;
      }
    }
  }

  /** A change of one server alone (template, disks, OS, objectives), decided on its own stream. */
  async change(
    actor: Actor,
    request: Request,
    id: string,
    build: (now: string) => ServerCommand,
    options: { expectedVersion?: number } = {},
  ): Promise<ServerView> {
    this.get(actor.tenantId, id);
    const result = await handleCommand(
      this.store,
      streams.server(actor.tenantId, id),
      serverDecider,
      build(this.now()),
      metadataFor(actor, request),
      { expectedVersion: options.expectedVersion },
    );
    if (result.events.length) await this.readModels.waitFor(result.position);
    return toServerView(result.state!, result.version);
  }

  // ---------- bulk import ----------

  /** Validates every row (fields, rules, duplicates, cycles across the batch), then enrols all or none in one decision. */
  async import(
    actor: Actor,
    request: Request,
    rows: unknown[],
    options: { validateOnly?: boolean } = {},
  ): Promise<ImportResult | ImportPreview> {
    if (rows.length === 0)
      throw validationError('empty-import', 'nothing to import', [
        { field: 'body', message: 'must contain at least one server' },
      ]);
    if (rows.length > MAX_IMPORT_ROWS)
      throw validationError('import-too-large', `at most ${MAX_IMPORT_ROWS} servers per import`, [
        { field: 'body', message: `at most ${MAX_IMPORT_ROWS} rows` },
      ]);
    // the shape: the same DTO rules as POST /servers; the estate registry decides the rest
    const rejected: ImportRowError[] = [];
    const specs: ImportRow[] = rows.map((raw, i) => {
      const { value, errors } = validateInput(CreateServerDto, raw, `[${i}]`);
      if (value && !errors.length) return { serverId: randomUUID(), spec: specFromDto(value) };
      const hostname = (raw as { hostname?: unknown } | null)?.hostname;
      rejected.push({
        row: i,
        hostname: typeof hostname === 'string' ? hostname.toLowerCase() : null,
        errors,
      });
      return null;
    });
    const command = {
      type: 'ImportServers' as const,
      tenantId: actor.tenantId,
      rows: specs,
      rejected,
      now: this.now(),
    };
    if (options.validateOnly) {
      // Every check the import runs, decided on the registry as it stands, and nothing appended.
      await this.registryRevision(actor.tenantId, metadataFor(actor, request));
      const { state } = await this.registry.load(streams.estate(actor.tenantId));
      estateRegistryDecider.decide(command, state);
      return { validateOnly: true, imported: 0, items: specs.map((r, row) => ({ row, ...r!.spec })) };
    }
    const decision = await this.decide(actor.tenantId, command, metadataFor(actor, request));
    await this.settle(decision!);
    const items = specs.map((r) => ({ id: r!.serverId, hostname: r!.spec.hostname, version: 0 }));
    return { imported: items.length, items };
  }

  // ---------- the runbook (held by the estate registry, which knows every hostname) ----------

  async runbook(tenantId: string): Promise<{ version: number; steps: RunbookStep[] }> {
    const { state } = await this.registry.load(streams.estate(tenantId));
    return { version: state.runbook.version, steps: state.runbook.steps };
  }

  /** Replaces the runbook; `expectedVersion` (If-Match) is the runbook's version. */
  async setRunbook(
    actor: Actor,
    request: Request,
    steps: RunbookStepInput[],
    expectedVersion?: number,
  ): Promise<{ version: number; steps: RunbookStep[] }> {
    const metadata = metadataFor(actor, request);
    const stream = streams.estate(actor.tenantId);
    const revision = await this.registryRevision(actor.tenantId, metadata);
    const { state } = await this.registry.load(stream);
    if (expectedVersion !== undefined && expectedVersion !== state.runbook.version)
      throw conflict('version-mismatch', `the runbook is at version ${state.runbook.version}`, {
        expected: expectedVersion,
        actual: state.runbook.version,
      });
    await this.registry.execute(stream, { type: 'SetRunbook', steps }, metadata, {
      expectedRevision: expectedVersion === undefined ? undefined : revision,
    });
    return this.runbook(actor.tenantId);
  }

  // ---------- the estate registry ----------

  /** Takes the decision (the decisive append); null when the command changes nothing. */
  private async decide(
    tenantId: string,
    command: EstateRegistryCommand,
    metadata: MetadataInput,
    expectedRevision?: number,
  ): Promise<RecordedEvent | null> {
    await this.registryRevision(tenantId, metadata);
    const [decision] = await this.registry.execute(streams.estate(tenantId), command, metadata, {
      expectedRevision,
    });
    return decision ?? null;
  }

  /**
   * The registry's revision, after opening it for a tenant enrolled before registries existed (its
   * servers, from their streams; a concurrent opening is harmless: the decider opens once).
   */
  private async registryRevision(tenantId: string, metadata: MetadataInput): Promise<number> {
    const stream = streams.estate(tenantId);
    const { revision } = await this.registry.load(stream);
    if (revision !== -1) return revision;
    const servers = await readTenantEstate(this.store, tenantId, { includeInactive: true });
    if (servers.length === 0) return revision;
    const members = servers.map(({ id, hostname, status, protectionClass, dependsOn }) => ({
      id,
      hostname,
      status,
      protectionClass,
      dependsOn,
    }));
    await this.registry.execute(
      stream,
      { type: 'OpenEstateRegistry', servers: members },
      { ...metadata, actor: 'system:estate-registry', role: 'system' },
    );
    return (await this.registry.load(stream)).revision;
  }

  /** Waits until the decision is completed and its completions are in the read models. */
  private async settle(decision: RecordedEvent): Promise<void> {
    const { done, through } = await this.completions.waitFor(decision.position);
    if (!done) this.logger.warn(`decision ${decision.id} is not completed yet; answering from the decision`);
    await this.readModels.waitFor(through, 30_000);
  }

  /** The server once the decision is completed: from its stream (or from the decision if the completion is late). */
  private async serverAfter(
    tenantId: string,
    serverId: string,
    decision: RecordedEvent,
  ): Promise<ServerView> {
    await this.settle(decision);
    const loaded = await loadAggregate(this.store, streams.server(tenantId, serverId), serverDecider);
    if (loaded?.events.some((e) => e.metadata.causationId === decision.id))
      return toServerView(loaded.state!, loaded.version);
    const change = (decision.data as EstateChangeDecided['data']).changes.find(
      (c) => c.serverId === serverId,
    );
    const events = change?.events ?? [];
    const state = events.reduce(evolveServer, loaded?.state ?? null);
    return toServerView(state!, (loaded?.version ?? -1) + events.length);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}

export interface ImportResult {
  imported: number;
  items: Array<{ id: string; hostname: string; version: number }>;
}

/** `POST /servers:import?validateOnly=true`: every check passed; what the import would enrol. */
export interface ImportPreview {
  validateOnly: true;
  imported: 0;
  items: Array<ServerSpec & { row: number }>;
}
