import { assertNever, Decider, DomainEvent } from '../shared/decider';
import { conflict, DomainError, FieldError, ruleViolation, validationError } from '../shared/errors';
import { findCycle } from './graph';
import { hostnameProblem } from './hostname';
import { agentSupport, ApplicationAgent, applicationSupport, OperatingSystem } from './os-matrix';

export type ServerKind = 'physical' | 'virtual';
export const SERVER_KINDS: ServerKind[] = ['physical', 'virtual'];
export type Platform =
  'vmware' | 'hyper-v' | 'other-hypervisor' | 'physical' | 'public-cloud' | 'private-cloud';
export const PLATFORMS: Platform[] = [
  'vmware',
  'hyper-v',
  'other-hypervisor',
  'physical',
  'public-cloud',
  'private-cloud',
];
export type BackupMode = 'agent' | 'agentless';
export const BACKUP_MODES: BackupMode[] = ['agent', 'agentless'];
export type ProtectionClass = 'drp' | 'backup-with-tests' | 'backup-only';
export const PROTECTION_CLASSES: ProtectionClass[] = ['drp', 'backup-with-tests', 'backup-only'];
export type RecoveryMethod = 'backup-restore' | 'vm-replication' | 'storage-replication';
export const RECOVERY_METHODS: RecoveryMethod[] = ['backup-restore', 'vm-replication', 'storage-replication'];
export type ServerStatus = 'active' | 'archived' | 'decommissioned';
export const SERVER_STATUSES: ServerStatus[] = ['active', 'archived', 'decommissioned'];

export const BOUNDS = {
  vcpu: { min: 1, max: 256 },
  ramGiB: { min: 1, max: 4096 },
  sizeGiB: { min: 1, max: 65536 },
  disks: { min: 1, max: 64 },
  dependsOn: { max: 500 },
  rtoMinutes: { min: 1, max: 525600 },
  rpoMinutes: { min: 0, max: 525600 },
};

export interface Template {
  vcpu: number;
  ramGiB: number;
}
export interface Disk {
  name: string;
  sizeGiB: number;
}

/** What the customer declares about a server (the enrolment payload, normalised). */
export interface ServerSpec {
  hostname: string;
  kind: ServerKind;
  platform: Platform;
  os: OperatingSystem;
  backupMode: BackupMode;
  applications: ApplicationAgent[];
  template: Template;
  disks: Disk[];
  protectionClass: ProtectionClass;
  /** Hostnames of the servers that must be up first. */
  dependsOn: string[];
  rtoMinutes: number | null;
  rpoMinutes: number | null;
  recoveryMethod: RecoveryMethod;
  /** Servers of one anti-affinity group never run on the same recovery host (e.g. domain controllers). */
  antiAffinityGroup?: string | null;
}

export interface ServerDependency {
  serverId: string;
  hostname: string;
}

/** A protected server as folded from its stream: every field the engine needs. */
export interface ServerState extends Omit<ServerSpec, 'dependsOn'> {
  id: string;
  tenantId: string;
  /** Upstream servers by hostname (display, API). */
  dependsOn: string[];
  /** Upstream servers by id (stable). */
  dependsOnIds: string[];
  status: ServerStatus;
  enrolledAt: string;
  archivedAt: string | null;
  decommissionedAt: string | null;
}

/**
 * What the decider needs to know about the rest of the tenant's estate (cross-aggregate rules):
 * the tenant's active servers by hostname. Built by the handler from the read model (or loadEstate).
 */
export interface EstateNode {
  id: string;
  hostname: string;
  protectionClass: ProtectionClass;
  dependsOn: string[];
}
export interface EstateView {
  byHostname: ReadonlyMap<string, EstateNode>;
  /** The runbook's steps (name → what each follows): a server may depend on a step. */
  steps?: ReadonlyMap<string, readonly string[]>;
}

/** The id a server's dependency on a runbook step records (a step is no server). */
export const runbookStepRef = (name: string) => `runbook-step:${name}`;
export const isRunbookStepRef = (id: string) => id.startsWith('runbook-step:');

// ---------- events ----------
export type ServerEnrolled = DomainEvent<
  'ServerEnrolled',
  Omit<ServerSpec, 'dependsOn'> & {
    serverId: string;
    tenantId: string;
    dependsOn: ServerDependency[];
    at: string;
  }
>;
export type ProtectionClassChanged = DomainEvent<
  'ProtectionClassChanged',
  { from: ProtectionClass; to: ProtectionClass }
>;
export type DependenciesChanged = DomainEvent<
  'DependenciesChanged',
  { dependsOn: ServerDependency[]; added: string[]; removed: string[] }
>;
export type TemplateChanged = DomainEvent<'TemplateChanged', { from: Template; to: Template }>;
export type DiskAdded = DomainEvent<'DiskAdded', Disk>;
export type DiskResized = DomainEvent<'DiskResized', { name: string; fromGiB: number; toGiB: number }>;
export type DiskRemoved = DomainEvent<'DiskRemoved', { name: string; sizeGiB: number }>;
export type OsChanged = DomainEvent<
  'OsChanged',
  { from: OperatingSystem; to: OperatingSystem; backupMode: BackupMode; previousBackupMode: BackupMode }
>;
export type RecoveryObjectivesChanged = DomainEvent<
  'RecoveryObjectivesChanged',
  { rtoMinutes: number | null; rpoMinutes: number | null; recoveryMethod: RecoveryMethod }
>;
export type ApplicationsChanged = DomainEvent<'ApplicationsChanged', { applications: ApplicationAgent[] }>;
export type ServerArchived = DomainEvent<'ServerArchived', { hostname: string; at: string }>;
export type ServerDecommissioned = DomainEvent<
  'ServerDecommissioned',
  { hostname: string; at: string; reason: string | null }
>;

export type ServerEvent =
  | ServerEnrolled
  | ProtectionClassChanged
  | DependenciesChanged
  | TemplateChanged
  | DiskAdded
  | DiskResized
  | DiskRemoved
  | OsChanged
  | RecoveryObjectivesChanged
  | ApplicationsChanged
  | ServerArchived
  | ServerDecommissioned;

export const SERVER_EVENT_TYPES: ServerEvent['type'][] = [
  'ServerEnrolled',
  'ProtectionClassChanged',
  'DependenciesChanged',
  'TemplateChanged',
  'DiskAdded',
  'DiskResized',
  'DiskRemoved',
  'OsChanged',
  'RecoveryObjectivesChanged',
  'ApplicationsChanged',
  'ServerArchived',
  'ServerDecommissioned',
];

// ---------- commands ----------
/**
 * Commands whose rules involve other servers (hostname uniqueness, dependencies, cycles,
 * dependents). They are decided by the tenant's estate registry (`estate-registry.ts`), which
 * passes its own view of the estate, and recorded on the server streams as completions.
 */
export type EstateServerCommand =
  | {
      type: 'EnrolServer';
      serverId: string;
      tenantId: string;
      spec: ServerSpec;
      estate: EstateView;
      now: string;
    }
  | { type: 'ChangeProtectionClass'; protectionClass: ProtectionClass; estate: EstateView }
  | { type: 'ChangeDependencies'; dependsOn: string[]; estate: EstateView }
  | { type: 'ArchiveServer'; estate: EstateView; now: string }
  | { type: 'DecommissionServer'; estate: EstateView; now: string; reason?: string | null };

/** Commands about one server alone, decided on its own stream. */
export type ServerCommand =
  | { type: 'ChangeTemplate'; template: Template }
  | { type: 'AddDisk'; disk: Disk }
  | { type: 'ResizeDisk'; name: string; sizeGiB: number }
  | { type: 'RemoveDisk'; name: string }
  | { type: 'ChangeOs'; os: OperatingSystem; backupMode?: BackupMode; now: string }
  | {
      type: 'ChangeRecoveryObjectives';
      rtoMinutes?: number | null;
      rpoMinutes?: number | null;
      recoveryMethod?: RecoveryMethod;
    }
  | { type: 'ChangeApplications'; applications: ApplicationAgent[] };

/** What an estate-wide decision needs to know of the server it is about. */
export type EstateMember = Pick<ServerState, 'id' | 'hostname' | 'status' | 'protectionClass' | 'dependsOn'>;

export type ServerDeciderState = ServerState | null;

// ---------- rules (pure, reusable by the bulk import and the readiness check) ----------
export interface RuleProblem {
  code: string;
  field: string;
  message: string;
  details?: Record<string, unknown>;
}

const inRange = (value: number, min: number, max: number) =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;

export function templateErrors(template: Template, field = 'template'): FieldError[] {
  const errors: FieldError[] = [];
  if (!Number.isInteger(template.vcpu) || !inRange(template.vcpu, BOUNDS.vcpu.min, BOUNDS.vcpu.max))
    errors.push({
      field: `${field}.vcpu`,
      message: `must be an integer from ${BOUNDS.vcpu.min} to ${BOUNDS.vcpu.max}`,
    });
  if (!inRange(template.ramGiB, BOUNDS.ramGiB.min, BOUNDS.ramGiB.max))
    errors.push({
      field: `${field}.ramGiB`,
      message: `must be a number from ${BOUNDS.ramGiB.min} to ${BOUNDS.ramGiB.max}`,
    });
  return errors;
}

export function diskErrors(disk: Disk, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!disk.name || disk.name.length > 64)
    errors.push({ field: `${field}.name`, message: 'must be 1 to 64 characters' });
  if (!inRange(disk.sizeGiB, BOUNDS.sizeGiB.min, BOUNDS.sizeGiB.max))
    errors.push({
      field: `${field}.sizeGiB`,
      message: `must be a number from ${BOUNDS.sizeGiB.min} to ${BOUNDS.sizeGiB.max}`,
    });
  return errors;
}

/** Field-level problems of a spec (400): hostname, bounds, at least one disk, unique disk names. */
export function specFieldErrors(spec: ServerSpec): FieldError[] {
  const errors: FieldError[] = [];
  const hostProblem = hostnameProblem(spec.hostname);
  if (hostProblem) errors.push({ field: 'hostname', message: hostProblem });
  errors.push(...templateErrors(spec.template));
  if (spec.disks.length < BOUNDS.disks.min)
    errors.push({ field: 'disks', message: 'a server needs at least one disk' });
  if (spec.disks.length > BOUNDS.disks.max)
    errors.push({ field: 'disks', message: `at most ${BOUNDS.disks.max} disks` });
  const names = new Set<string>();
  spec.disks.forEach((disk, i) => {
    errors.push(...diskErrors(disk, `disks[${i}]`));
    if (names.has(disk.name))
      errors.push({ field: `disks[${i}].name`, message: `duplicate disk name "${disk.name}"` });
    names.add(disk.name);
  });
  if (spec.antiAffinityGroup != null && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(spec.antiAffinityGroup))
    errors.push({ field: 'antiAffinityGroup', message: 'must be 1-63 lowercase letters, digits or hyphens' });
  if (spec.rtoMinutes !== null && !inRange(spec.rtoMinutes, BOUNDS.rtoMinutes.min, BOUNDS.rtoMinutes.max))
    errors.push({
      field: 'rtoMinutes',
      message: `must be from ${BOUNDS.rtoMinutes.min} to ${BOUNDS.rtoMinutes.max}`,
    });
  if (spec.rpoMinutes !== null && !inRange(spec.rpoMinutes, BOUNDS.rpoMinutes.min, BOUNDS.rpoMinutes.max))
    errors.push({
      field: 'rpoMinutes',
      message: `must be from ${BOUNDS.rpoMinutes.min} to ${BOUNDS.rpoMinutes.max}`,
    });
  if (spec.dependsOn.length > BOUNDS.dependsOn.max)
    errors.push({ field: 'dependsOn', message: `at most ${BOUNDS.dependsOn.max} dependencies` });
  return errors;
}

/** Platform, backup mode and OS-matrix rules (422) on `today` (the OS matrix follows the calendar). */
export function protectionRuleProblems(
  spec: Pick<ServerSpec, 'kind' | 'platform' | 'os' | 'backupMode' | 'applications'>,
  today: string,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if ((spec.kind === 'physical') !== (spec.platform === 'physical')) {
    problems.push({
      code: 'kind-platform-mismatch',
      field: 'platform',
      message:
        spec.kind === 'physical'
          ? 'a physical server must have platform "physical"'
          : `a virtual server cannot have platform "physical"`,
    });
  }
  if (spec.backupMode === 'agentless' && spec.platform !== 'vmware' && spec.platform !== 'hyper-v') {
    problems.push({
      code: 'agentless-unsupported-platform',
      field: 'backupMode',
      message: `agentless backup needs a VMware or Hyper-V platform (got ${spec.platform}); use agent mode`,
    });
  }
  if (spec.backupMode === 'agent') {
    const support = agentSupport(spec.os, today);
    if (!support.supported)
      problems.push({
        code: 'unsupported-os',
        field: 'os',
        message: support.reason ?? 'unsupported OS for agent mode',
      });
  }
  problems.push(...applicationProblems(spec));
  return problems;
}

/** Application agents that do not exist for the server's OS (422). */
export function applicationProblems(spec: Pick<ServerSpec, 'os' | 'applications'>): RuleProblem[] {
  return spec.applications.flatMap((app, i) => {
    const support = applicationSupport(app, spec.os);
    return support.supported
      ? []
      : [
          {
            code: 'unsupported-application',
            field: `applications[${i}]`,
            message: support.reason ?? 'no agent for this application',
          },
        ];
  });
}

/** Dependency rules (422): upstream servers exist (active, same tenant), no self-dependency, DRP servers only depend on DRP servers. */
export function dependencyProblems(
  self: { hostname: string; protectionClass: ProtectionClass },
  dependsOn: string[],
  estate: EstateView,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const unknown = dependsOn.filter(
    (h) => h !== self.hostname && !estate.byHostname.has(h) && !estate.steps?.has(h),
  );
  if (unknown.length)
    problems.push({
      code: 'unknown-dependency',
      field: 'dependsOn',
      message: `no active server of this tenant named ${unknown.join(', ')}`,
      details: { unknown },
    });
  if (self.protectionClass === 'drp') {
    const outside = dependsOn.filter(
      (h) =>
        h !== self.hostname &&
        estate.byHostname.has(h) &&
        estate.byHostname.get(h)!.protectionClass !== 'drp',
    );
    if (outside.length)
      problems.push({
        code: 'drp-depends-on-non-drp',
        field: 'dependsOn',
        message: `a drp server cannot depend on servers outside the DRP class (they would not be restored): ${outside.join(', ')}`,
        details: { servers: outside },
      });
  }
  return problems;
}

/** The cycle that `hostname` depending on `dependsOn` would close in `estate`, named from `hostname`, or null. */
export function cycleWith(hostname: string, dependsOn: string[], estate: EstateView): string[] | null {
  if (dependsOn.includes(hostname)) return [hostname, hostname];
  const graph = new Map<string, readonly string[]>();
  for (const [h, node] of estate.byHostname) graph.set(h, node.dependsOn);
  for (const [step, after] of estate.steps ?? []) graph.set(step, after);
  graph.set(hostname, dependsOn);
  return findCycle(graph, [hostname]);
}

/** Active servers that depend on `hostname`. */
export function dependentsOf(
  hostname: string,
  estate: EstateView,
  filter: (node: EstateNode) => boolean = () => true,
): string[] {
  const out: string[] = [];
  for (const node of estate.byHostname.values())
    if (node.hostname !== hostname && node.dependsOn.includes(hostname) && filter(node))
      out.push(node.hostname);
  return out.sort();
}

const throwRules = (problems: RuleProblem[]) => {
  if (!problems.length) return;
  const [first] = problems;
  const details: Record<string, unknown> = {
    ...(first.details ?? {}),
    errors: problems.map((p) => ({ field: p.field, message: p.message })),
  };
  if (problems.length > 1) details.rules = problems.map((p) => p.code);
  throw ruleViolation(first.code, problems.map((p) => p.message).join('; '), details);
};

/** 409: the hostname is held by another server of the tenant (active or archived). */
export const duplicateHostname = (hostname: string) =>
  conflict('duplicate-hostname', `a server named ${hostname} already exists in this tenant`, {
    errors: [{ field: 'hostname', message: 'already used in this tenant' }],
  });

const cycleError = (cycle: string[]) =>
  ruleViolation('dependency-cycle', `dependencies would form a cycle: ${cycle.join(' → ')}`, {
    cycle,
    errors: [{ field: 'dependsOn', message: `cycle ${cycle.join(' → ')}` }],
  });

const resolve = (dependsOn: string[], estate: EstateView): ServerDependency[] =>
  dependsOn.map((hostname) => ({
    serverId: estate.byHostname.get(hostname)?.id ?? runbookStepRef(hostname),
    hostname,
  }));

const unique = (values: string[]) => [...new Set(values)];

function requireActive<S extends EstateMember>(state: S | null, action: string): S {
  if (state === null) throw new Error('server stream does not exist'); // the handler answers 404 first
  if (state.status === 'decommissioned')
    throw conflict(
      'server-decommissioned',
      `server ${state.hostname} is decommissioned; it cannot ${action}`,
    );
  if (state.status === 'archived' && action !== 'be decommissioned')
    throw conflict('server-archived', `server ${state.hostname} is archived; it cannot ${action}`);
  return state;
}

/** 409 while active servers or runbook steps depend on `s`: they would lose what they need to start. */
function requireNoDependents(
  s: EstateMember,
  estate: EstateView,
  becoming: 'archived' | 'decommissioned',
): void {
  const steps = [...(estate.steps ?? [])]
    .filter(([, after]) => after.includes(s.hostname))
    .map(([name]) => name);
  const dependents = [...dependentsOf(s.hostname, estate), ...steps.sort()];
  if (dependents.length)
    throw conflict(
      'server-has-dependents',
      `${s.hostname} cannot be ${becoming}: ${dependents.join(', ')} depend on it`,
      { dependents },
    );
}

// ---------- decide ----------
/**
 * Estate-wide decisions: the events a command would record on the server's stream, given what the
 * estate registry knows of the server (`null` before enrolment) and of the rest of the estate.
 */
export function decideEstateChange(command: EstateServerCommand, state: EstateMember | null): ServerEvent[] {
  switch (command.type) {
    case 'EnrolServer': {
      if (state !== null) throw conflict('server-exists', `server ${command.serverId} already exists`);
      const spec = { ...command.spec, dependsOn: unique(command.spec.dependsOn) };
      const fieldErrors = specFieldErrors(spec);
      if (fieldErrors.length) throw validationError('invalid-server', 'the server is invalid', fieldErrors);
      const cycle = spec.dependsOn.includes(spec.hostname) ? [spec.hostname, spec.hostname] : null;
      if (cycle) throw cycleError(cycle);
      throwRules([
        ...protectionRuleProblems(spec, command.now),
        ...dependencyProblems(spec, spec.dependsOn, command.estate),
      ]);
      // The whole request is judged (its rules, the servers it names) before the conflict with
      // another server.
      const holder = command.estate.byHostname.get(spec.hostname);
      if (holder && holder.id !== command.serverId) throw duplicateHostname(spec.hostname);
      const { dependsOn, ...rest } = spec;
      return [
        {
          type: 'ServerEnrolled',
          data: {
            serverId: command.serverId,
            tenantId: command.tenantId,
            ...rest,
            dependsOn: resolve(dependsOn, command.estate),
            at: command.now,
          },
        },
      ];
    }
    case 'ChangeProtectionClass': {
      const s = requireActive(state, 'change class');
      if (s.protectionClass === command.protectionClass) return [];
      const problems: RuleProblem[] = [];
      if (command.protectionClass === 'drp')
        problems.push(
          ...dependencyProblems(
            { hostname: s.hostname, protectionClass: 'drp' },
            s.dependsOn,
            command.estate,
          ),
        );
      else {
        const drpDependents = dependentsOf(s.hostname, command.estate, (n) => n.protectionClass === 'drp');
        if (drpDependents.length)
          problems.push({
            code: 'drp-dependents',
            field: 'protectionClass',
            message: `drp servers depend on ${s.hostname} and would not find it restored: ${drpDependents.join(', ')}`,
            details: { dependents: drpDependents },
          });
      }
      throwRules(problems);
      return [
        { type: 'ProtectionClassChanged', data: { from: s.protectionClass, to: command.protectionClass } },
      ];
    }
    case 'ChangeDependencies': {
      const s = requireActive(state, 'change dependencies');
      const dependsOn = unique(command.dependsOn);
      if (dependsOn.length > BOUNDS.dependsOn.max)
        throw validationError('invalid-dependencies', 'too many dependencies', [
          { field: 'dependsOn', message: `at most ${BOUNDS.dependsOn.max}` },
        ]);
      const current = new Set(s.dependsOn);
      const added = dependsOn.filter((h) => !current.has(h));
      const removed = s.dependsOn.filter((h) => !dependsOn.includes(h));
      if (!added.length && !removed.length) return [];
      if (dependsOn.includes(s.hostname)) throw cycleError([s.hostname, s.hostname]);
      throwRules(dependencyProblems(s, dependsOn, command.estate));
      const cycle = cycleWith(s.hostname, dependsOn, command.estate);
      if (cycle) throw cycleError(cycle);
      return [
        {
          type: 'DependenciesChanged',
          data: { dependsOn: resolve(dependsOn, command.estate), added, removed },
        },
      ];
    }
    case 'ArchiveServer': {
      const s = requireActive(state, 'be archived');
      requireNoDependents(s, command.estate, 'archived');
      return [{ type: 'ServerArchived', data: { hostname: s.hostname, at: command.now } }];
    }
    case 'DecommissionServer': {
      const s = requireActive(state, 'be decommissioned');
      requireNoDependents(s, command.estate, 'decommissioned');
      return [
        {
          type: 'ServerDecommissioned',
          data: { hostname: s.hostname, at: command.now, reason: command.reason ?? null },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

/** Changes of one server alone (template, disks, OS, objectives, applications). */
export function decideServer(command: ServerCommand, state: ServerDeciderState): ServerEvent[] {
  switch (command.type) {
    case 'ChangeTemplate': {
      const s = requireActive(state, 'change template');
      const errors = templateErrors(command.template);
      if (errors.length) throw validationError('invalid-template', 'the template is invalid', errors);
      if (s.template.vcpu === command.template.vcpu && s.template.ramGiB === command.template.ramGiB)
        return [];
      return [
        {
          type: 'TemplateChanged',
          data: { from: s.template, to: { vcpu: command.template.vcpu, ramGiB: command.template.ramGiB } },
        },
      ];
    }
    case 'AddDisk': {
      const s = requireActive(state, 'change disks');
      const errors = diskErrors(command.disk, 'disk');
      if (errors.length)
        throw validationError(
          'invalid-disk',
          'the disk is invalid',
          errors.map((e) => ({ ...e, field: e.field.replace(/^disk\./, '') })),
        );
      if (s.disks.some((d) => d.name === command.disk.name))
        throw conflict(
          'duplicate-disk',
          `server ${s.hostname} already has a disk named ${command.disk.name}`,
          { errors: [{ field: 'name', message: 'already exists on this server' }] },
        );
      if (s.disks.length >= BOUNDS.disks.max)
        throw ruleViolation('too-many-disks', `a server has at most ${BOUNDS.disks.max} disks`);
      return [{ type: 'DiskAdded', data: { name: command.disk.name, sizeGiB: command.disk.sizeGiB } }];
    }
    case 'ResizeDisk': {
      const s = requireActive(state, 'change disks');
      const disk = s.disks.find((d) => d.name === command.name);
      if (!disk) throw new DomainErrorNotFoundDisk(s.hostname, command.name);
      const errors = diskErrors({ name: command.name, sizeGiB: command.sizeGiB }, 'disk');
      if (errors.length)
        throw validationError(
          'invalid-disk',
          'the disk size is invalid',
          errors.map((e) => ({ ...e, field: e.field.replace(/^disk\./, '') })),
        );
      if (disk.sizeGiB === command.sizeGiB) return [];
      return [
        { type: 'DiskResized', data: { name: disk.name, fromGiB: disk.sizeGiB, toGiB: command.sizeGiB } },
      ];
    }
    case 'RemoveDisk': {
      const s = requireActive(state, 'change disks');
      const disk = s.disks.find((d) => d.name === command.name);
      if (!disk) throw new DomainErrorNotFoundDisk(s.hostname, command.name);
      if (s.disks.length === 1)
        throw ruleViolation(
          'last-disk',
          `a server needs at least one disk; ${disk.name} is the last disk of ${s.hostname}`,
        );
      return [{ type: 'DiskRemoved', data: { name: disk.name, sizeGiB: disk.sizeGiB } }];
    }
    case 'ChangeOs': {
      const s = requireActive(state, 'change OS');
      const backupMode = command.backupMode ?? s.backupMode;
      const os = { family: command.os.family, name: command.os.name, version: command.os.version };
      if (
        s.os.family === os.family &&
        s.os.name === os.name &&
        s.os.version === os.version &&
        s.backupMode === backupMode
      )
        return [];
      throwRules(protectionRuleProblems({ ...s, os, backupMode }, command.now));
      return [
        { type: 'OsChanged', data: { from: s.os, to: os, backupMode, previousBackupMode: s.backupMode } },
      ];
    }
    case 'ChangeRecoveryObjectives': {
      const s = requireActive(state, 'change recovery objectives');
      const next = {
        rtoMinutes: command.rtoMinutes === undefined ? s.rtoMinutes : command.rtoMinutes,
        rpoMinutes: command.rpoMinutes === undefined ? s.rpoMinutes : command.rpoMinutes,
        recoveryMethod: command.recoveryMethod ?? s.recoveryMethod,
      };
      const errors = specFieldErrors({ ...s, ...next, dependsOn: [] }).filter(
        (e) => e.field === 'rtoMinutes' || e.field === 'rpoMinutes',
      );
      if (errors.length)
        throw validationError('invalid-objectives', 'the recovery objectives are invalid', errors);
      if (
        next.rtoMinutes === s.rtoMinutes &&
        next.rpoMinutes === s.rpoMinutes &&
        next.recoveryMethod === s.recoveryMethod
      )
        return [];
      return [{ type: 'RecoveryObjectivesChanged', data: next }];
    }
    case 'ChangeApplications': {
      const s = requireActive(state, 'change applications');
      throwRules(applicationProblems({ os: s.os, applications: command.applications }));
      if (JSON.stringify(s.applications) === JSON.stringify(command.applications)) return [];
      return [
        {
          type: 'ApplicationsChanged',
          data: { applications: command.applications.map((a) => ({ kind: a.kind, version: a.version })) },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

class DomainErrorNotFoundDisk extends DomainError {
  constructor(hostname: string, disk: string) {
    super('not-found', 'disk-not-found', `server ${hostname} has no disk named ${disk}`);
  }
}

// ---------- evolve ----------
export function evolveServer(state: ServerDeciderState, event: ServerEvent): ServerDeciderState {
  if (event.type === 'ServerEnrolled') {
    const { serverId, tenantId, at, dependsOn, ...rest } = event.data;
    return {
      ...rest,
      id: serverId,
      tenantId,
      dependsOn: dependsOn.map((d) => d.hostname),
      dependsOnIds: dependsOn.map((d) => d.serverId),
      status: 'active',
      enrolledAt: at,
      archivedAt: null,
      decommissionedAt: null,
    };
  }
  if (state === null) return state;
  switch (event.type) {
    case 'ProtectionClassChanged':
      return { ...state, protectionClass: event.data.to };
    case 'DependenciesChanged':
      return {
        ...state,
        dependsOn: event.data.dependsOn.map((d) => d.hostname),
        dependsOnIds: event.data.dependsOn.map((d) => d.serverId),
      };
    case 'TemplateChanged':
      return { ...state, template: { ...event.data.to } };
    case 'DiskAdded':
      return { ...state, disks: [...state.disks, { name: event.data.name, sizeGiB: event.data.sizeGiB }] };
    case 'DiskResized':
      return {
        ...state,
        disks: state.disks.map((d) => (d.name === event.data.name ? { ...d, sizeGiB: event.data.toGiB } : d)),
      };
    case 'DiskRemoved':
      return { ...state, disks: state.disks.filter((d) => d.name !== event.data.name) };
    case 'OsChanged':
      return { ...state, os: { ...event.data.to }, backupMode: event.data.backupMode };
    case 'RecoveryObjectivesChanged':
      return { ...state, ...event.data };
    case 'ApplicationsChanged':
      return { ...state, applications: event.data.applications };
    case 'ServerArchived':
      return { ...state, status: 'archived', archivedAt: event.data.at };
    case 'ServerDecommissioned':
      return { ...state, status: 'decommissioned', decommissionedAt: event.data.at };
    default:
      return assertNever(event);
  }
}

export const serverDecider: Decider<ServerCommand, ServerDeciderState, ServerEvent> = {
  decide: decideServer,
  evolve: evolveServer,
  initialState: () => null,
};

export const isServerEvent = (type: string): type is ServerEvent['type'] =>
  (SERVER_EVENT_TYPES as string[]).includes(type);
