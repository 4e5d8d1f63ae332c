import { findCycle } from '../estate/graph';
import { hostnameProblem } from '../estate/hostname';
import { DomainError, FieldError, ruleViolation, validationError } from '../shared/errors';
import type { ReadinessFinding } from './readiness';
import { isEmailAddress } from '../shared/email';

/**
 * Runbook steps: what a recovery plan runs besides its servers (re-point DNS, a script inside a
 * restored database server, a port check, the application owner's sign-off, a call to the change
 * management system). Steps and servers form ONE dependency graph: a step runs `after` servers
 * (available), other steps (done) or the verified teardown of a test; a server may name a step in
 * its `dependsOn`. The estate registry holds the runbook (it knows every hostname), so the names
 * and the graph are decided with the servers' in one place.
 */

export const RUNBOOK_STEP_KINDS = ['webhook', 'script', 'check', 'manual'] as const;
export type RunbookStepKind = (typeof RUNBOOK_STEP_KINDS)[number];
export const ON_FAILURE = ['block', 'continue'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];
export const STEP_SCOPES = ['all', 'test', 'disaster'] as const;
export type StepScope = (typeof STEP_SCOPES)[number];
export const SCRIPT_INTERPRETERS = ['powershell', 'bash'] as const;
export type ScriptInterpreter = (typeof SCRIPT_INTERPRETERS)[number];
export const WEBHOOK_METHODS = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];
/** `after: ["teardown"]`: the step runs once a closed test's teardown is verified. */
export const AFTER_TEARDOWN = 'teardown';

export type Probe = { tcp: number } | { http: string; expectStatus: number };

interface StepBase {
  name: string;
  after: string[];
  onFailure: OnFailure;
  timeoutMinutes: number;
  scope: StepScope;
}
export type WebhookStep = StepBase & {
  kind: 'webhook';
  url: string;
  method: WebhookMethod;
  body: Record<string, unknown> | null;
  expectStatus: number | null;
};
export type ScriptStep = StepBase & {
  kind: 'script';
  server: string;
  interpreter: ScriptInterpreter;
  script: string;
};
export type CheckStep = StepBase & { kind: 'check'; server: string; probe: Probe };
export type ManualStep = StepBase & { kind: 'manual'; instructions: string; assignee: string | null };
export type RunbookStep = WebhookStep | ScriptStep | CheckStep | ManualStep;

export const MAX_RUNBOOK_STEPS = 200;
export const MAX_SCRIPT_LENGTH = 64 * 1024;
export const MAX_TIMEOUT_MINUTES = 7 * 24 * 60;

/** Default timeout per kind, minutes. */
export const DEFAULT_TIMEOUT_MINUTES: Record<RunbookStepKind, number> = {
  webhook: 5,
  script: 30,
  check: 10,
  manual: 240,
};

/** What each kind is estimated to take, minutes (the plan's predicted RTO, the live projection). */
export const STEP_ESTIMATE_MINUTES: Record<RunbookStepKind, number> = {
  webhook: 1,
  script: 5,
  check: 1,
  manual: 30,
};

/** The fields of each kind (beyond the common ones): a field of another kind is refused by name. */
const KIND_FIELDS: Record<RunbookStepKind, { required: string[]; optional: string[] }> = {
  webhook: { required: ['url'], optional: ['method', 'body', 'expectStatus'] },
  script: { required: ['server', 'interpreter', 'script'], optional: [] },
  check: { required: ['server', 'probe'], optional: [] },
  manual: { required: ['instructions'], optional: ['assignee'] },
};
const COMMON_FIELDS = ['name', 'kind', 'after', 'onFailure', 'timeoutMinutes', 'scope'];

/** A step as sent (kind fields all optional: the kind says which apply). */
export interface RunbookStepInput {
  name: string;
  kind: RunbookStepKind;
  after?: string[];
  onFailure?: OnFailure;
  timeoutMinutes?: number;
  scope?: StepScope;
  url?: string;
  method?: WebhookMethod;
  body?: Record<string, unknown> | null;
  expectStatus?: number;
  server?: string;
  interpreter?: ScriptInterpreter;
  script?: string;
  probe?: { tcp?: number; http?: string; expectStatus?: number };
  instructions?: string;
  assignee?: string | null;
}

const isPort = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;
const isStatus = (n: unknown) => Number.isInteger(n) && (n as number) >= 100 && (n as number) <= 599;

function urlProblem(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http(s) URL';
    if (parsed.username || parsed.password) return 'must not carry credentials';
    return null;
  } catch {
    return 'must be an absolute URL';
  }
}

/**
 * The shape of each step for its kind (400): kind fields present and valid, no field of another
 * kind, names valid (a step name follows the hostname rule, so names and hostnames share one space).
 * Returns the steps with their defaults, or the problems, each naming its field.
 */
export function parseRunbook(input: RunbookStepInput[]): { steps: RunbookStep[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (input.length > MAX_RUNBOOK_STEPS)
    errors.push({ field: 'steps', message: `at most ${MAX_RUNBOOK_STEPS} steps` });
  const steps: RunbookStep[] = [];
  const seen = new Map<string, number>();
  input.forEach((raw, i) => {
    const at = (f: string) => `steps[${i}].${f}`;
    const fail = (f: string, message: string) => errors.push({ field: at(f), message });
    const name = typeof raw.name === 'string' ? raw.name.trim().toLowerCase() : '';
    const nameProblem = name === AFTER_TEARDOWN ? `"${AFTER_TEARDOWN}" is reserved` : hostnameProblem(name);
    if (nameProblem) fail('name', nameProblem);
    else if (seen.has(name)) fail('name', `duplicate of steps[${seen.get(name)}].name`);
    else seen.set(name, i);
    const fields = KIND_FIELDS[raw.kind];
    if (!fields) return; // the DTO named the kind
    for (const key of Object.keys(raw))
      if (!COMMON_FIELDS.includes(key) && !fields.required.includes(key) && !fields.optional.includes(key))
        if ((raw as unknown as Record<string, unknown>)[key] !== undefined)
          fail(key, `is not a field of a ${raw.kind} step`);
    for (const key of fields.required)
      if ((raw as unknown as Record<string, unknown>)[key] === undefined)
        fail(key, `required for a ${raw.kind} step`);
    const after = [...new Set((raw.after ?? []).map((a) => a.trim().toLowerCase()))];
    // A script or a check runs in its server: it follows that server, whatever `after` says.
    const server = typeof raw.server === 'string' ? raw.server.trim().toLowerCase() : '';
    if ((raw.kind === 'script' || raw.kind === 'check') && server) {
      if (after.includes(AFTER_TEARDOWN))
        fail('after', `a ${raw.kind} step runs in its server: it cannot follow "teardown"`);
      else if (!after.includes(server)) after.push(server);
    }
    const timeoutMinutes = raw.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES[raw.kind];
    if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 1 || timeoutMinutes > MAX_TIMEOUT_MINUTES)
      fail('timeoutMinutes', `must be a whole number of minutes from 1 to ${MAX_TIMEOUT_MINUTES}`);
    const base: StepBase = {
      name,
      after,
      onFailure: raw.onFailure ?? 'block',
      timeoutMinutes,
      scope: raw.scope ?? 'all',
    };
    switch (raw.kind) {
      case 'webhook': {
        const problem = raw.url === undefined ? null : urlProblem(raw.url);
        if (problem) fail('url', problem);
        if (raw.expectStatus !== undefined && !isStatus(raw.expectStatus))
          fail('expectStatus', 'must be an HTTP status from 100 to 599');
        steps.push({
          ...base,
          kind: 'webhook',
          url: raw.url ?? '',
          method: raw.method ?? 'POST',
          body: raw.body ?? null,
          expectStatus: raw.expectStatus ?? null,
        });
        break;
      }
      case 'script': {
        if (raw.server !== undefined && hostnameProblem(server)) fail('server', 'must be a hostname');
        if (raw.script !== undefined && (!raw.script.trim() || raw.script.length > MAX_SCRIPT_LENGTH))
          fail('script', `must be 1 to ${MAX_SCRIPT_LENGTH} characters`);
        steps.push({
          ...base,
          kind: 'script',
          server,
          interpreter: raw.interpreter ?? 'bash',
          script: raw.script ?? '',
        });
        break;
      }
      case 'check': {
        if (raw.server !== undefined && hostnameProblem(server)) fail('server', 'must be a hostname');
        const p = raw.probe;
        let probe: Probe = { tcp: 0 };
        if (p) {
          if ((p.tcp === undefined) === (p.http === undefined))
            fail('probe', 'must be {tcp: port} or {http: path, expectStatus}');
          else if (p.tcp !== undefined) {
            if (!isPort(p.tcp)) fail('probe.tcp', 'must be a port from 1 to 65535');
            if (p.expectStatus !== undefined) fail('probe.expectStatus', 'is not a field of a tcp probe');
            probe = { tcp: p.tcp };
          } else {
            if (!p.http!.startsWith('/')) fail('probe.http', 'must be a path starting with /');
            if (p.expectStatus !== undefined && !isStatus(p.expectStatus))
              fail('probe.expectStatus', 'must be an HTTP status from 100 to 599');
            probe = { http: p.http!, expectStatus: p.expectStatus ?? 200 };
          }
        }
        steps.push({ ...base, kind: 'check', server, probe });
        break;
      }
      case 'manual':
        if (raw.instructions !== undefined && !raw.instructions.trim())
          fail('instructions', 'must not be empty');
        if (raw.assignee != null && !isEmailAddress(raw.assignee))
          fail('assignee', 'must be an e-mail address');
        steps.push({
          ...base,
          kind: 'manual',
          instructions: raw.instructions ?? '',
          assignee: raw.assignee ?? null,
        });
        break;
    }
  });
  return { steps, errors };
}

/** The tenant's estate as the runbook rules see it: active servers' hostnames and their dependencies. */
export type EstateGraph = ReadonlyMap<string, readonly string[]>;

/** The server a step runs in or probes, if its kind has one. */
export const stepServer = (step: RunbookStep): string | null =>
  step.kind === 'script' || step.kind === 'check' ? step.server : null;

/**
 * The rules of the runbook with the estate (422, each naming its field): a step name is no
 * hostname, `after` names a server, a step or "teardown", a step's server exists, and steps and
 * servers form no cycle (named, e.g. `web-1 → sign-off → web-1`).
 */
export function runbookRuleErrors(steps: RunbookStep[], servers: EstateGraph): DomainError | null {
  const names = new Set(steps.map((s) => s.name));
  const errors: FieldError[] = [];
  steps.forEach((s, i) => {
    if (servers.has(s.name))
      errors.push({ field: `steps[${i}].name`, message: `a server is named ${s.name}` });
    const unknown = s.after.filter((a) => a !== AFTER_TEARDOWN && !names.has(a) && !servers.has(a));
    if (unknown.length)
      errors.push({ field: `steps[${i}].after`, message: `no server or step named ${unknown.join(', ')}` });
    if (s.after.includes(s.name))
      errors.push({ field: `steps[${i}].after`, message: 'a step cannot follow itself' });
    if (s.after.includes(AFTER_TEARDOWN) && s.after.length > 1)
      errors.push({ field: `steps[${i}].after`, message: 'a post-cleanup step follows "teardown" alone' });
    const server = stepServer(s);
    if (server !== null && !servers.has(server))
      errors.push({
        field: `steps[${i}].server`,
        message: `no active server of this tenant named ${server}`,
      });
  });
  if (errors.length)
    return ruleViolation('invalid-runbook', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
      errors,
    });
  const cycle = findCycle(
    combinedGraph(steps, servers),
    steps.map((s) => s.name),
  );
  if (cycle) {
    const i = steps.findIndex((s) => cycle.includes(s.name));
    return ruleViolation('dependency-cycle', `dependencies would form a cycle: ${cycle.join(' → ')}`, {
      cycle,
      errors: [{ field: `steps[${i}].after`, message: `cycle ${cycle.join(' → ')}` }],
    });
  }
  return null;
}

/** Servers and steps as one graph (node → what it waits for); "teardown" is outside it. */
export function combinedGraph(
  steps: readonly RunbookStep[],
  servers: EstateGraph,
): Map<string, readonly string[]> {
  const graph = new Map<string, readonly string[]>(servers);
  for (const s of steps)
    graph.set(
      s.name,
      s.after.filter((a) => a !== AFTER_TEARDOWN),
    );
  return graph;
}

/** 400 for the shape, else null. */
export function runbookShapeError(errors: FieldError[]): DomainError | null {
  return errors.length
    ? validationError('invalid-runbook', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors)
    : null;
}

/** Does the step run in an activation of this type? */
export const stepInScope = (step: Pick<RunbookStep, 'scope'>, type: 'test' | 'disaster' | 'alert'): boolean =>
  step.scope === 'all' || (step.scope === 'test' ? type === 'test' : type !== 'test');

/**
 * Readiness findings of the runbook: a step naming a server that is no longer active (error: it
 * cannot run), a webhook that is not https (warning outside development: the call and its
 * signature travel in clear).
 */
export function runbookReadinessFindings(
  runbook: readonly RunbookStep[],
  activeHostnames: ReadonlySet<string>,
  development: boolean,
): ReadinessFinding[] {
  const findings: ReadinessFinding[] = [];
  const names = new Set(runbook.map((s) => s.name));
  for (const s of runbook) {
    const missing = [stepServer(s), ...s.after].filter(
      (n): n is string => n !== null && n !== AFTER_TEARDOWN && !names.has(n) && !activeHostnames.has(n),
    );
    if (missing.length)
      findings.push({
        severity: 'error',
        code: 'runbook-unknown-server',
        message: `runbook step ${s.name} names servers that are not active: ${[...new Set(missing)].join(', ')}`,
        servers: [...new Set(missing)],
      });
    if (s.kind === 'webhook' && !development && !s.url.startsWith('https:'))
      findings.push({
        severity: 'warning',
        code: 'runbook-webhook-not-https',
        message: `runbook step ${s.name} calls ${s.url}: not https, the call and its signature travel in clear`,
      });
  }
  return findings;
}
