import { cyclicComponents, findCycle } from '../estate/graph';
import { isRunbookStepRef, protectionRuleProblems, ServerState } from '../estate/server';
import type { AuthorisedPerson } from './authorised-persons';
import type { PlanView } from './plan-view';

export type FindingSeverity = 'error' | 'warning';
export interface ReadinessFinding {
  severity: FindingSeverity;
  code: string;
  message: string;
  servers?: string[];
}

export interface ReadinessInput {
  /** Every server of the tenant (any status): the check needs archived/decommissioned ones to name missing dependencies. */
  servers: ServerState[];
  authorisedPersons: AuthorisedPerson[];
  plan: PlanView;
  /** Today (from the clock, through the caller): the OS matrix follows the calendar. */
  now: string;
}

/**
 * The estate/plan part of the readiness check: cycles, missing dependencies, drp → non-drp
 * dependencies, unsupported OS/mode, no authorised person, RTO targets the plan cannot meet.
 * Pure; recovery-space capacity and restore-point freshness are contributed by the engine.
 */
export function estateReadinessFindings(input: ReadinessInput): ReadinessFinding[] {
  const findings: ReadinessFinding[] = [];
  const active = input.servers.filter((s) => s.status === 'active');
  const activeIds = new Set(active.map((s) => s.id));
  const byId = new Map(input.servers.map((s) => [s.id, s]));
  const activeByName = new Map(active.map((s) => [s.hostname, s]));

  if (input.authorisedPersons.length === 0)
    findings.push({
      severity: 'error',
      code: 'no-authorised-person',
      message:
        'no authorised person can confirm a disaster activation; add one with PUT /plan/authorised-persons',
    });

  const drp = active.filter((s) => s.protectionClass === 'drp');
  if (drp.length === 0)
    findings.push({
      severity: 'warning',
      code: 'no-drp-servers',
      message: 'no active server is in the drp class: a disaster activation would restore nothing',
    });

  const graph = new Map<string, string[]>();
  for (const s of active)
    graph.set(
      s.hostname,
      s.dependsOn.filter((d) => activeByName.has(d)),
    );
  for (const component of cyclicComponents(graph)) {
    const members = new Set(component);
    const sub = new Map(component.map((n) => [n, (graph.get(n) ?? []).filter((d) => members.has(d))]));
    const cycle = findCycle(sub, [component[0]]) ?? component;
    findings.push({
      severity: 'error',
      code: 'dependency-cycle',
      message: `dependency cycle: ${cycle.join(' → ')}; these servers can never boot`,
      servers: cycle,
    });
  }

  for (const s of active) {
    const missing = s.dependsOnIds
      .map((id, i) => ({ id, hostname: s.dependsOn[i] }))
      .filter((d) => !activeIds.has(d.id) && !isRunbookStepRef(d.id))
      .map((d) => {
        const target = byId.get(d.id);
        return `${d.hostname} (${target ? target.status : 'unknown'})`;
      });
    if (missing.length)
      findings.push({
        severity: 'error',
        code: 'missing-dependency',
        message: `${s.hostname} depends on servers that are not active: ${missing.join(', ')}`,
        servers: [s.hostname],
      });
    if (s.protectionClass === 'drp') {
      const outside = s.dependsOn.filter(
        (d) => activeByName.has(d) && activeByName.get(d)!.protectionClass !== 'drp',
      );
      if (outside.length)
        findings.push({
          severity: 'error',
          code: 'drp-depends-on-non-drp',
          message: `${s.hostname} (drp) depends on servers that are not restored in a DRP activation: ${outside.join(', ')}`,
          servers: [s.hostname, ...outside],
        });
    }
    for (const problem of protectionRuleProblems(s, input.now)) {
      const code =
        problem.code === 'unsupported-application' ? 'unsupported-application' : 'unsupported-os-or-mode';
      findings.push({
        severity: problem.code === 'unsupported-application' ? 'warning' : 'error',
        code,
        message: `${s.hostname}: ${problem.message}`,
        servers: [s.hostname],
      });
    }
  }

  const late = input.plan.servers.filter(
    (p) =>
      p.rtoMinutes !== null &&
      p.predictedAvailableAfterMinutes !== null &&
      p.predictedAvailableAfterMinutes > p.rtoMinutes,
  );
  if (late.length)
    findings.push({
      severity: 'warning',
      code: 'rto-target-exceeded',
      message: `${late.length} server(s) are predicted to come back after their RTO target: ${late
        .slice(0, 20)
        .map((p) => `${p.hostname} (${p.predictedAvailableAfterMinutes} > ${p.rtoMinutes} min)`)
        .join(', ')}${late.length > 20 ? ', …' : ''}`,
      servers: late.map((p) => p.hostname),
    });
  return findings;
}
