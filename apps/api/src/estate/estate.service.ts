import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { validateInput } from '@reprise/common/http/validation';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import {
  conflict,
  DomainError,
  FieldError,
  notFound,
  ruleViolation,
  validationError,
} from '@reprise/domain/shared/errors';
import { streams } from '@reprise/domain/shared/streams';
import { findCycle } from '@reprise/domain/estate/graph';
import { hostnameDecider, hostnameStream } from '@reprise/domain/estate/hostname-reservation';
import {
  decideServer,
  EstateNode,
  EstateView,
  ServerCommand,
  serverDecider,
  ServerSpec,
  ServerState,
} from '@reprise/domain/estate/server';
import { handleCommand, HandleResult } from '@reprise/event-store/command-handling';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { READ_MODELS } from '../read-models/read-models.module';
import { Actor, metadataFor } from '../auth/actor';
import { CreateServerDto, HistoryEntryView, ListServersQuery, ServerView } from './dto/server.dto';
import { TenantLocks } from './tenant-lock';

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

export interface ImportRowError {
  row: number;
  hostname: string | null;
  errors: Array<FieldError & { code?: string }>;
}

/** Estate writes: load, decide, append (with hostname reservations), then wait for the read model. */
@Injectable()
export class EstateService {
  private readonly locks = new TenantLocks();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  // ---------- queries ----------

  /** Active servers of the tenant, by hostname, from the read model. */
  estateView(tenantId: string): EstateView {
    const byHostname = new Map<string, EstateNode>();
    const rows = this.readModels.db
      .prepare<[string], Pick<ServerRow, 'id' | 'hostname' | 'protection_class' | 'depends_on'>>(
        "SELECT id, hostname, protection_class, depends_on FROM servers WHERE tenant_id = ? AND status = 'active'",
      )
      .all(tenantId);
    for (const r of rows)
      byHostname.set(r.hostname, {
        id: r.id,
        hostname: r.hostname,
        protectionClass: r.protection_class as EstateNode['protectionClass'],
        dependsOn: JSON.parse(r.depends_on),
      });
    return { byHostname };
  }

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
    const spec = specFromDto(dto);
    return this.locks.run(actor.tenantId, async () => {
      const serverId = randomUUID();
      const command: ServerCommand = {
        type: 'EnrolServer',
        serverId,
        tenantId: actor.tenantId,
        spec,
        estate: this.estateView(actor.tenantId),
        now: this.now(),
      };
      decideServer(command, null); // every rule first: nothing is reserved for a rejected server
      const metadata = metadataFor(actor, request);
      await handleCommand(
        this.store,
        hostnameStream(actor.tenantId, spec.hostname),
        hostnameDecider,
        { type: 'ReserveHostname', hostname: spec.hostname, serverId },
        metadata,
      );
      const result = await handleCommand(
        this.store,
        streams.server(actor.tenantId, serverId),
        serverDecider,
        command,
        metadata,
        { expectedVersion: -1 },
      );
      await this.readModels.waitFor(result.position);
      return toServerView(result.state!, result.version);
    });
  }

  /**
   * An evolution of one server. `build` gets the tenant's estate view for cross-server rules;
   * estate-wide changes run under the tenant lock.
   */
  async change(
    actor: Actor,
    request: Request,
    id: string,
    build: (estate: EstateView, now: string) => ServerCommand,
    options: { expectedVersion?: number; estateWide?: boolean } = {},
  ): Promise<ServerView> {
    this.get(actor.tenantId, id);
    const work = async () => {
      const estate = options.estateWide ? this.estateView(actor.tenantId) : { byHostname: new Map() };
      const result: HandleResult<ServerState | null> = await handleCommand(
        this.store,
        streams.server(actor.tenantId, id),
        serverDecider,
        build(estate, this.now()),
        metadataFor(actor, request),
        { expectedVersion: options.expectedVersion },
      );
      if (result.events.some((e) => e.type === 'ServerDecommissioned') && result.state) {
        await handleCommand(
          this.store,
          hostnameStream(actor.tenantId, result.state.hostname),
          hostnameDecider,
          {
            type: 'ReleaseHostname',
            hostname: result.state.hostname,
            serverId: id,
            reason: 'decommissioned',
          },
          metadataFor(actor, request),
        );
      }
      if (result.events.length) await this.readModels.waitFor(result.position);
      return toServerView(result.state!, result.version);
    };
    return options.estateWide ? this.locks.run(actor.tenantId, work) : work();
  }

  // ---------- bulk import ----------

  /** Validates every row (fields, rules, duplicates, cycles across the batch), then enrols all or none. */
  async import(
    actor: Actor,
    request: Request,
    rows: unknown[],
  ): Promise<{ imported: number; items: Array<{ id: string; hostname: string; version: number }> }> {
    if (rows.length === 0)
      throw validationError('empty-import', 'nothing to import', [
        { field: 'body', message: 'must contain at least one server' },
      ]);
    if (rows.length > MAX_IMPORT_ROWS)
      throw validationError('import-too-large', `at most ${MAX_IMPORT_ROWS} servers per import`, [
        { field: 'body', message: `at most ${MAX_IMPORT_ROWS} rows` },
      ]);
    const rowErrors = new Map<number, ImportRowError>();
    const add = (row: number, hostname: string | null, error: FieldError & { code?: string }) => {
      const entry = rowErrors.get(row) ?? { row, hostname, errors: [] };
      entry.errors.push(error);
      rowErrors.set(row, entry);
    };

    // 1. shape: the same DTO rules as POST /servers
    const specs: Array<ServerSpec | null> = rows.map((raw, i) => {
      const { value, errors } = validateInput(CreateServerDto, raw, `[${i}]`);
      const hostname =
        typeof (raw as { hostname?: unknown } | null)?.hostname === 'string'
          ? String((raw as { hostname: string }).hostname).toLowerCase()
          : null;
      for (const e of errors) add(i, hostname, e);
      return value && !errors.length ? specFromDto(value) : null;
    });
    const shapeInvalid = rowErrors.size > 0;

    return this.locks.run(actor.tenantId, async () => {
      // 2. duplicates inside the batch and against the tenant's servers (archived ones still hold their name)
      const held = new Set(
        this.readModels.db
          .prepare<[string], { hostname: string }>(
            "SELECT hostname FROM servers WHERE tenant_id = ? AND status != 'decommissioned'",
          )
          .all(actor.tenantId)
          .map((r) => r.hostname),
      );
      const firstRow = new Map<string, number>();
      specs.forEach((spec, i) => {
        if (!spec) return;
        if (held.has(spec.hostname)) {
          add(i, spec.hostname, {
            field: `[${i}].hostname`,
            message: `a server named ${spec.hostname} already exists in this tenant`,
            code: 'duplicate-hostname',
          });
        } else if (firstRow.has(spec.hostname)) {
          add(i, spec.hostname, {
            field: `[${i}].hostname`,
            message: `duplicate of row ${firstRow.get(spec.hostname)} in this import`,
            code: 'duplicate-hostname',
          });
        } else firstRow.set(spec.hostname, i);
      });

      // 3. rules, with the batch's own servers visible as dependencies
      const existing = this.estateView(actor.tenantId);
      const byHostname = new Map(existing.byHostname);
      const ids = specs.map(() => randomUUID());
      specs.forEach((spec, i) => {
        if (spec && firstRow.get(spec.hostname) === i)
          byHostname.set(spec.hostname, {
            id: ids[i],
            hostname: spec.hostname,
            protectionClass: spec.protectionClass,
            dependsOn: spec.dependsOn,
          });
      });
      const view: EstateView = { byHostname };
      const now = this.now();
      const commands: Array<ServerCommand | null> = specs.map((spec, i) => {
        if (!spec || firstRow.get(spec.hostname) !== i) return null;
        const command: ServerCommand = {
          type: 'EnrolServer',
          serverId: ids[i],
          tenantId: actor.tenantId,
          spec,
          estate: view,
          now,
        };
        try {
          decideServer(command, null);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          const errors = error.details.errors?.length
            ? error.details.errors
            : [{ field: 'body', message: error.message }];
          for (const e of errors)
            add(i, spec.hostname, { field: `[${i}].${e.field}`, message: e.message, code: error.code });
        }
        return command;
      });
      const batchGraph = new Map<string, readonly string[]>();
      for (const [h, node] of byHostname) batchGraph.set(h, node.dependsOn);
      const cycle = findCycle(
        batchGraph,
        specs.filter((s): s is ServerSpec => !!s).map((s) => s.hostname),
      );
      if (cycle) {
        for (const h of new Set(cycle)) {
          const i = firstRow.get(h);
          if (i !== undefined)
            add(i, h, {
              field: `[${i}].dependsOn`,
              message: `dependency cycle ${cycle.join(' → ')}`,
              code: 'dependency-cycle',
            });
        }
      }

      if (rowErrors.size) {
        const list = [...rowErrors.values()].sort((a, b) => a.row - b.row);
        const details = {
          errors: list.flatMap((r) => r.errors.map(({ field, message }) => ({ field, message }))),
          rows: list,
          ...(cycle ? { cycle } : {}),
        };
        const message = `${list.length} of ${rows.length} rows are invalid; nothing was imported`;
        // The whole request is judged before the conflict with what exists: fields (400), then
        // rules such as unknown dependencies (422), then duplicate hostnames (409).
        const ruleBroken = list.some((r) => r.errors.some((e) => e.code !== 'duplicate-hostname'));
        if (shapeInvalid) throw new DomainError('validation', 'invalid-import', message, details);
        if (ruleBroken) throw ruleViolation(cycle ? 'dependency-cycle' : 'invalid-import', message, details);
        throw conflict('duplicate-hostname', message, details);
      }

      // 4. write: reserve every hostname (all or none), then enrol every server
      const metadata = metadataFor(actor, request);
      const valid = commands as ServerCommand[];
      const reservations = await Promise.allSettled(
        valid.map((_c, i) => {
          const spec = specs[i]!;
          return handleCommand(
            this.store,
            hostnameStream(actor.tenantId, spec.hostname),
            hostnameDecider,
            { type: 'ReserveHostname', hostname: spec.hostname, serverId: ids[i] },
            metadata,
          );
        }),
      );
      const failed = reservations.map((r, i) => (r.status === 'rejected' ? i : -1)).filter((i) => i >= 0);
      if (failed.length) {
        await Promise.allSettled(
          reservations.map((r, i) => {
            if (r.status !== 'fulfilled') return null;
            const spec = specs[i]!;
            return handleCommand(
              this.store,
              hostnameStream(actor.tenantId, spec.hostname),
              hostnameDecider,
              {
                type: 'ReleaseHostname',
                hostname: spec.hostname,
                serverId: ids[i],
                reason: 'import-rolled-back',
              },
              metadata,
            );
          }),
        );
        throw conflict(
          'duplicate-hostname',
          `hostnames were taken concurrently; nothing was imported: ${failed.map((i) => specs[i]!.hostname).join(', ')}`,
          {
            errors: failed.map((i) => ({ field: `[${i}].hostname`, message: 'already used in this tenant' })),
          },
        );
      }
      const results = await Promise.all(
        valid.map((c, i) =>
          handleCommand(this.store, streams.server(actor.tenantId, ids[i]), serverDecider, c, metadata, {
            expectedVersion: -1,
          }),
        ),
      );
      await this.readModels.waitFor(Math.max(...results.map((r) => r.position)), 30000);
      return {
        imported: results.length,
        items: results.map((r, i) => ({ id: ids[i], hostname: specs[i]!.hostname, version: r.version })),
      };
    });
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
