import { ruleViolation, validationError } from '@reprise/domain/shared/errors';
import { AFTER_TEARDOWN, stepInScope, type RunbookStep } from '../plan/runbook';
import {
  type ActivationKind,
  type ActivationScope,
  type ActivationServerSnapshot,
  type ProtectionClass,
  type RequestedScope,
  type ScopeAddition,
  type ScopeExclusion,
} from './activation.types';

export interface ResolvedScope {
  scope: ActivationScope;
  /** Snapshots of the servers in scope, `dependsOn` restricted to the scope, in estate order. */
  servers: ActivationServerSnapshot[];
}

/** Protection class a kind of activation works on (its `full` scope). */
export const eligibleClass = (kind: ActivationKind): ProtectionClass =>
  kind === 'restore-test' ? 'backup-with-tests' : 'drp';

/**
 * Protection classes a server named in a partial scope may have: a restore test may also restore a
 * drp server on its own (in an isolated space, no network), everything else works on drp servers.
 */
export const eligibleClasses = (kind: ActivationKind): readonly ProtectionClass[] =>
  kind === 'restore-test' ? ['backup-with-tests', 'drp'] : ['drp'];

/**
 * Resolves the perimeter of an activation against the tenant's estate (active servers, full
 * `dependsOn`).
 * - `full`: every server of the eligible class (`drp` for DRP tests, alerts and disasters,
 *   `backup-with-tests` for restore tests).
 * - partial: the named servers plus, for DRP tests and failovers, all their upstream dependencies
 *   transitively (listed in `added` with the servers that need them). A restore test restores each
 *   server on its own and pulls nothing; it may name `backup-with-tests` and `drp` servers.
 * The upstream closure goes through the runbook's steps exactly as through servers: a server that
 * depends on a step (of the activation's type) pulls in the step, and what the step follows (servers,
 * listed in `added` with the step as the reason; other steps, transitively).
 * A named server that is unknown or of another class is refused by name (422 `scope-refused`,
 * `details.servers`). A dependency that cannot come (unknown, or of another class) does not refuse
 * the request: it is listed in `excluded` with the reason, and dropped from `dependsOn`. Step names
 * are dropped from the snapshots' `dependsOn` (a server waits for its steps through their `gates`).
 */
export function resolveScope(
  estate: readonly ActivationServerSnapshot[],
  requested: RequestedScope,
  kind: ActivationKind = 'failover',
  runbook: readonly RunbookStep[] = [],
): ResolvedScope {
  const cls = eligibleClass(kind);
  const named = eligibleClasses(kind);
  const byName = new Map<string, ActivationServerSnapshot>();
  for (const s of estate) byName.set(s.hostname.toLowerCase(), s);
  const lookup = (hostname: string) => byName.get(hostname.toLowerCase());
  const eligible = (s: ActivationServerSnapshot | undefined) => !!s && s.protectionClass === cls;
  const isStep = new Set(runbook.map((x) => x.name));
  // The steps an activation of this kind runs (a restore test runs none, and pulls nothing anyway).
  const steps = new Map(
    runbook.filter((x) => stepInScope(x, kind === 'failover' ? 'disaster' : 'test')).map((x) => [x.name, x]),
  );

  const inScope = new Set<string>(); // hostnames (canonical)
  const added = new Map<string, Set<string>>();
  const excluded = new Map<string, ScopeExclusion>();
  let mode: ActivationScope['mode'];
  let requestedNames: string[] = [];

  if (requested === 'full') {
    mode = 'full';
    for (const s of estate) if (eligible(s)) inScope.add(s.hostname);
    if (inScope.size === 0)
      throw ruleViolation('empty-scope', `no server of class ${cls} to activate`, { protectionClass: cls });
  } else {
    mode = 'partial';
    if (!requested || !Array.isArray(requested.servers) || requested.servers.length === 0) {
      throw validationError('empty-scope', 'a partial scope names at least one server', [
        { field: 'scope.servers', message: 'must name at least one server' },
      ]);
    }
    const unknown: string[] = [];
    const notEligible: string[] = [];
    for (const name of requested.servers) {
      const s = lookup(name);
      if (!s) unknown.push(name);
      else if (!named.includes(s.protectionClass)) notEligible.push(s.hostname);
      else if (!inScope.has(s.hostname)) {
        inScope.add(s.hostname);
        requestedNames.push(s.hostname);
      }
    }
    if (unknown.length || notEligible.length) {
      const servers = [...unknown, ...notEligible];
      throw ruleViolation(
        'scope-refused',
        [
          unknown.length ? `unknown server(s): ${unknown.join(', ')}` : '',
          notEligible.length ? `not of class ${named.join(' or ')}: ${notEligible.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
        { servers, unknown, notEligible, protectionClass: cls, protectionClasses: named },
      );
    }
    if (kind !== 'restore-test') {
      // Pull upstream dependencies transitively (breadth first), through servers and steps alike.
      const queue = [...requestedNames];
      const stepsPulled = new Set<string>();
      while (queue.length) {
        const host = queue.shift()!; // a hostname, or a step's name
        const step = steps.get(host);
        const upstream = step ? step.after.filter((a) => a !== AFTER_TEARDOWN) : lookup(host)!.dependsOn;
        for (const dep of upstream) {
          if (isStep.has(dep.toLowerCase())) {
            const name = dep.toLowerCase();
            if (steps.has(name) && !stepsPulled.has(name)) {
              stepsPulled.add(name);
              queue.push(name);
            }
            continue;
          }
          const d = lookup(dep);
          if (!eligible(d)) {
            const key = d ? d.hostname : dep;
            const ex = excluded.get(key) ?? {
              hostname: key,
              requiredBy: [],
              reason: d ? 'not-eligible' : 'unknown-server',
            };
            if (!ex.requiredBy.includes(host)) ex.requiredBy.push(host);
            excluded.set(key, ex);
            continue;
          }
          if (!inScope.has(d!.hostname)) {
            inScope.add(d!.hostname);
            queue.push(d!.hostname);
          }
          if (!requestedNames.includes(d!.hostname)) {
            const by = added.get(d!.hostname) ?? new Set<string>();
            by.add(host);
            added.set(d!.hostname, by);
          }
        }
      }
    }
    requestedNames = [...requestedNames];
  }

  const servers = estate
    .filter((s) => inScope.has(s.hostname))
    .map((s) => {
      const dependsOn: string[] = [];
      for (const dep of s.dependsOn) {
        if (isStep.has(dep.toLowerCase())) continue;
        const d = lookup(dep);
        if (d && inScope.has(d.hostname)) {
          if (!dependsOn.includes(d.hostname)) dependsOn.push(d.hostname);
        } else if (mode === 'full' || kind === 'restore-test') {
          const key = d ? d.hostname : dep;
          const ex = excluded.get(key) ?? {
            hostname: key,
            requiredBy: [],
            reason: d ? 'not-eligible' : 'unknown-server',
          };
          if (!ex.requiredBy.includes(s.hostname)) ex.requiredBy.push(s.hostname);
          excluded.set(key, ex);
        }
      }
      return {
        ...s,
        template: { ...s.template },
        disks: s.disks.map((d) => ({ ...d })),
        dependsOn,
        antiAffinityGroup: s.antiAffinityGroup ?? null,
      };
    });

  const addedList: ScopeAddition[] = estate
    .filter((s) => added.has(s.hostname))
    .map((s) => ({ hostname: s.hostname, requiredBy: [...added.get(s.hostname)!] }));
  return {
    scope: { mode, requested: requestedNames, added: addedList, excluded: [...excluded.values()] },
    servers,
  };
}
