import type { Completer } from '../shared/completion';
import { assertNever, Decider, DomainEvent } from '../shared/decider';
import { conflict, DomainError, FieldError, notFound, ruleViolation } from '../shared/errors';
import { parseTenantStream, streams } from '../shared/streams';
import { estateViewOf } from './estate';
import { findCycle } from './graph';
import {
  parseRunbook,
  RunbookStep,
  RunbookStepInput,
  runbookRuleErrors,
  runbookShapeError,
} from '../plan/runbook';
import {
  decideEstateChange,
  duplicateHostname,
  EstateMember,
  EstateNode,
  EstateServerCommand,
  EstateView,
  evolveServer,
  ProtectionClass,
  ServerEvent,
  ServerSpec,
  ServerState,
} from './server';

/**
 * The tenant's estate registry (`tenant/<t>/estate`): the decisive stream of every estate-wide
 * change. It knows each server's hostname, status, protection class and dependencies, so it alone
 * decides what involves several servers (a unique hostname, known dependencies, drp only on drp,
 * no cycle, no dependents left behind) and it decides it with an expected revision, so the rules
 * hold across any number of api processes. Each decision (`EstateChangeDecided`) carries the exact
 * events the servers' own streams will record; `estateCompleter` turns it into those completions
 * (see `shared/completion.ts`). A hostname is thus held by a decision before its server exists, and
 * only until the completer has recorded the server, which it does after any crash.
 */

export interface ServerChange {
  serverId: string;
  /** What the server's stream records (once) when the decision is completed. */
  events: ServerEvent[];
}

export type EstateRegistryOpened = DomainEvent<'EstateRegistryOpened', { servers: EstateMember[] }>;
export type EstateChangeDecided = DomainEvent<'EstateChangeDecided', { changes: ServerChange[] }>;
/** The runbook replaced as a whole (`PUT /plan/runbook`); decided here, where every hostname is known. */
export type RunbookChanged = DomainEvent<'RunbookChanged', { steps: RunbookStep[] }>;
export type EstateRegistryEvent = EstateRegistryOpened | EstateChangeDecided | RunbookChanged;

/** One row of an import refused, with every problem of the row. */
export interface ImportRowError {
  row: number;
  hostname: string | null;
  errors: Array<FieldError & { code?: string }>;
}

/** A row of an import: the server to enrol, or null when the row's shape was refused (`rejected`). */
export type ImportRow = { serverId: string; spec: ServerSpec } | null;

export type EstateRegistryCommand =
  /** Opens the registry of a tenant enrolled before it existed, from its server streams. */
  | { type: 'OpenEstateRegistry'; servers: EstateMember[] }
  | { type: 'EnrolServer'; serverId: string; tenantId: string; spec: ServerSpec; now: string }
  /** All rows or none; `rejected` holds the rows the caller refused for their shape. */
  | { type: 'ImportServers'; tenantId: string; rows: ImportRow[]; rejected: ImportRowError[]; now: string }
  | { type: 'ChangeProtectionClass'; serverId: string; protectionClass: ProtectionClass }
  | { type: 'ChangeDependencies'; serverId: string; dependsOn: string[] }
  | { type: 'ArchiveServer'; serverId: string; now: string }
  | { type: 'DecommissionServer'; serverId: string; now: string; reason?: string | null }
  | { type: 'SetRunbook'; steps: RunbookStepInput[] };

export interface EstateRegistryState {
  opened: boolean;
  /** Every server of the tenant by id, decommissioned ones included. */
  servers: ReadonlyMap<string, EstateMember>;
  /** Hostnames held (by active and archived servers) → the holder's id. */
  holders: ReadonlyMap<string, string>;
  /** The runbook and how many times it was set (its version, 0 before the first). */
  runbook: { steps: RunbookStep[]; version: number };
}

const initialState = (): EstateRegistryState => ({
  opened: false,
  servers: new Map(),
  holders: new Map(),
  runbook: { steps: [], version: 0 },
});

/** The estate the rules see: active servers by hostname, and the runbook's steps a server may depend on. */
const viewOf = (state: EstateRegistryState): EstateView => ({
  ...estateViewOf(state.servers.values()),
  steps: new Map(state.runbook.steps.map((s) => [s.name, s.after])),
});

/** 409: a runbook step already holds the name. */
const nameOfStep = (hostname: string) =>
  conflict('duplicate-hostname', `a runbook step is named ${hostname}`, {
    errors: [{ field: 'hostname', message: 'already the name of a runbook step' }],
  });

function decideRunbook(steps: RunbookStepInput[], state: EstateRegistryState): EstateRegistryEvent[] {
  const parsed = parseRunbook(steps);
  const shape = runbookShapeError(parsed.errors);
  if (shape) throw shape;
  const view = viewOf(state);
  const servers = new Map([...view.byHostname].map(([h, n]) => [h, n.dependsOn]));
  const rules = runbookRuleErrors(parsed.steps, servers);
  if (rules) throw rules;
  const kept = new Set(parsed.steps.map((s) => s.name));
  const orphans = [...view.byHostname.values()].flatMap((n) =>
    n.dependsOn.filter((d) => view.steps!.has(d) && !kept.has(d)).map((d) => `${n.hostname} → ${d}`),
  );
  if (orphans.length)
    throw ruleViolation('step-has-dependents', `servers depend on steps removed: ${orphans.join(', ')}`, {
      errors: [{ field: 'steps', message: `servers depend on removed steps: ${orphans.join(', ')}` }],
    });
  if (JSON.stringify(parsed.steps) === JSON.stringify(state.runbook.steps)) return [];
  return [{ type: 'RunbookChanged', data: { steps: parsed.steps } }];
}

const decided = (changes: ServerChange[]): EstateRegistryEvent[] =>
  changes.every((c) => c.events.length === 0)
    ? []
    : [{ type: 'EstateChangeDecided', data: { changes: changes.filter((c) => c.events.length > 0) } }];

function member(state: EstateRegistryState, serverId: string): EstateMember {
  const found = state.servers.get(serverId);
  if (!found) throw notFound('server', serverId);
  return found;
}

function decide(command: EstateRegistryCommand, state: EstateRegistryState): EstateRegistryEvent[] {
  switch (command.type) {
    case 'OpenEstateRegistry':
      return state.opened || command.servers.length === 0
        ? []
        : [{ type: 'EstateRegistryOpened', data: { servers: command.servers } }];
    case 'EnrolServer': {
      const events = decideEstateChange({ ...command, estate: viewOf(state) }, null);
      // An archived server still holds its name; the rules above only see active servers.
      if (state.holders.has(command.spec.hostname)) throw duplicateHostname(command.spec.hostname);
      if (state.runbook.steps.some((s) => s.name === command.spec.hostname))
        throw nameOfStep(command.spec.hostname);
      return decided([{ serverId: command.serverId, events }]);
    }
    case 'ImportServers':
      return decided(decideImport(command, state));
    case 'SetRunbook':
      return decideRunbook(command.steps, state);
    case 'ChangeProtectionClass':
    case 'ChangeDependencies':
    case 'ArchiveServer':
    case 'DecommissionServer': {
      const { serverId, ...rest } = command;
      const change = { ...rest, estate: viewOf(state) } as EstateServerCommand;
      return decided([{ serverId, events: decideEstateChange(change, member(state, serverId)) }]);
    }
    default:
      return assertNever(command);
  }
}

/**
 * An import: every row against the tenant's estate and against the other rows (duplicates, rules
 * with the batch's own servers visible as dependencies, cycles across the batch); all rows or none.
 * Refused: 400 when a row's shape was refused, else 422 for a broken rule, else 409 for duplicates.
 */
function decideImport(
  command: Extract<EstateRegistryCommand, { type: 'ImportServers' }>,
  state: EstateRegistryState,
): ServerChange[] {
  const rowErrors = new Map<number, ImportRowError>(command.rejected.map((r) => [r.row, { ...r }]));
  const add = (row: number, hostname: string | null, error: FieldError & { code?: string }) => {
    const entry = rowErrors.get(row) ?? { row, hostname, errors: [] };
    entry.errors.push(error);
    rowErrors.set(row, entry);
  };

  // duplicates inside the batch and against the tenant's servers (archived ones still hold their name)
  const firstRow = new Map<string, number>();
  command.rows.forEach((r, i) => {
    if (!r) return;
    const { hostname } = r.spec;
    if (state.holders.has(hostname) || state.runbook.steps.some((s) => s.name === hostname)) {
      add(i, hostname, {
        field: `[${i}].hostname`,
        message: `a server or runbook step named ${hostname} already exists in this tenant`,
        code: 'duplicate-hostname',
      });
    } else if (firstRow.has(hostname)) {
      add(i, hostname, {
        field: `[${i}].hostname`,
        message: `duplicate of row ${firstRow.get(hostname)} in this import`,
        code: 'duplicate-hostname',
      });
    } else firstRow.set(hostname, i);
  });

  // rules, with the batch's own servers visible as dependencies
  const byHostname = new Map<string, EstateNode>(viewOf(state).byHostname);
  command.rows.forEach((r, i) => {
    if (r && firstRow.get(r.spec.hostname) === i)
      byHostname.set(r.spec.hostname, {
        id: r.serverId,
        hostname: r.spec.hostname,
        protectionClass: r.spec.protectionClass,
        dependsOn: r.spec.dependsOn,
      });
  });
  const estate: EstateView = { byHostname, steps: viewOf(state).steps };
  const changes: ServerChange[] = [];
  command.rows.forEach((r, i) => {
    if (!r || firstRow.get(r.spec.hostname) !== i) return;
    try {
      const events = decideEstateChange(
        {
          type: 'EnrolServer',
          serverId: r.serverId,
          tenantId: command.tenantId,
          spec: r.spec,
          estate,
          now: command.now,
        },
        null,
      );
      changes.push({ serverId: r.serverId, events });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const errors = error.details.errors?.length
        ? error.details.errors
        : [{ field: 'body', message: error.message }];
      for (const e of errors)
        add(i, r.spec.hostname, { field: `[${i}].${e.field}`, message: e.message, code: error.code });
    }
  });
  const graph = new Map<string, readonly string[]>();
  for (const [h, node] of byHostname) graph.set(h, node.dependsOn);
  const cycle = findCycle(
    graph,
    command.rows.flatMap((r) => (r ? [r.spec.hostname] : [])),
  );
  if (cycle)
    for (const h of new Set(cycle)) {
      const i = firstRow.get(h);
      if (i !== undefined)
        add(i, h, {
          field: `[${i}].dependsOn`,
          message: `dependency cycle ${cycle.join(' → ')}`,
          code: 'dependency-cycle',
        });
    }

  if (rowErrors.size === 0) return changes;
  const list = [...rowErrors.values()].sort((a, b) => a.row - b.row);
  const details = {
    errors: list.flatMap((r) => r.errors.map(({ field, message }) => ({ field, message }))),
    rows: list,
    ...(cycle ? { cycle } : {}),
  };
  const message = `${list.length} of ${command.rows.length} rows are invalid; nothing was imported`;
  // The whole request is judged before the conflict with what exists: fields (400), then rules
  // such as unknown dependencies or cycles (422), then duplicate hostnames (409).
  const ruleBroken = list.some((r) => r.errors.some((e) => e.code !== 'duplicate-hostname'));
  if (command.rejected.length) throw new DomainError('validation', 'invalid-import', message, details);
  if (ruleBroken) throw ruleViolation(cycle ? 'dependency-cycle' : 'invalid-import', message, details);
  throw conflict('duplicate-hostname', message, details);
}

/** How a server event changes what the registry knows of the server (the server's own `evolve`). */
function evolveMember(current: EstateMember | null, event: ServerEvent): EstateMember | null {
  // evolveServer only reads the fields an estate member has for the estate-wide events it records.
  const next = evolveServer(current as ServerState | null, event);
  return (
    next && {
      id: next.id,
      hostname: next.hostname,
      status: next.status,
      protectionClass: next.protectionClass,
      dependsOn: next.dependsOn,
    }
  );
}

function evolve(state: EstateRegistryState, event: EstateRegistryEvent): EstateRegistryState {
  const servers = new Map(state.servers);
  const holders = new Map(state.holders);
  const record = (m: EstateMember) => {
    servers.set(m.id, m);
    if (m.status === 'decommissioned') {
      if (holders.get(m.hostname) === m.id) holders.delete(m.hostname);
    } else holders.set(m.hostname, m.id);
  };
  switch (event.type) {
    case 'EstateRegistryOpened':
      event.data.servers.forEach(record);
      break;
    case 'RunbookChanged':
      return {
        ...state,
        opened: true,
        runbook: { steps: event.data.steps, version: state.runbook.version + 1 },
      };
    case 'EstateChangeDecided':
      for (const change of event.data.changes) {
        let m = servers.get(change.serverId) ?? null;
        for (const e of change.events) m = evolveMember(m, e);
        if (m) record(m);
      }
      break;
    default:
      return assertNever(event);
  }
  return { ...state, opened: true, servers, holders };
}

export const estateRegistryDecider: Decider<EstateRegistryCommand, EstateRegistryState, EstateRegistryEvent> =
  { decide, evolve, initialState };

/** Completes an estate decision: each server's stream records its events, once. */
export const estateCompleter: Completer = (event) => {
  if (event.type !== 'EstateChangeDecided') return [];
  const parsed = parseTenantStream(event.stream);
  if (!parsed || parsed.category !== 'estate' || parsed.id !== null) return [];
  return (event as EstateChangeDecided).data.changes.map((change) => ({
    stream: streams.server(parsed.tenantId, change.serverId),
    events: change.events,
  }));
};
