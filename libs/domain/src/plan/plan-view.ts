import {
  estimateServer,
  RecoveryEstimateSettings,
  DEFAULT_ESTIMATES,
  round1,
  ServerEstimate,
  totalDiskGiB,
} from '../estate/estimates';
import { bootWaves, DependencyGraph, downstreamTails, schedule, sharedRestoreFinish } from '../estate/graph';
import type { ServerState } from '../estate/server';
import { isPostCleanup } from '../activation/runbook-steps';
import { STEP_ESTIMATE_MINUTES, type RunbookStep, type RunbookStepKind } from './runbook';

export interface PlanServer {
  id: string;
  hostname: string;
  osFamily: string;
  recoveryMethod: string;
  dependsOn: string[];
  rtoMinutes: number | null;
  rpoMinutes: number | null;
  estimate: ServerEstimate;
  /** Predicted minutes from launch until this server is available. */
  predictedAvailableAfterMinutes: number | null;
}

/** A runbook step of the plan, with its estimate and when it is predicted done. */
export interface PlanStep {
  name: string;
  kind: RunbookStepKind;
  after: string[];
  estimateMinutes: number;
  /** Null for a post-cleanup step (it runs after the teardown, outside the RTO). */
  predictedDoneAfterMinutes: number | null;
}

export interface PlanView {
  servers: PlanServer[];
  steps: PlanStep[];
  bootWaves: string[][];
  criticalPath: string[];
  predictedRtoMinutes: number;
}

/** DRP graph: active drp servers and their dependencies on other active drp servers. */
export function drpGraph(servers: ServerState[]): Map<string, string[]> {
  const drp = servers.filter((s) => s.status === 'active' && s.protectionClass === 'drp');
  const names = new Set(drp.map((s) => s.hostname));
  const graph = new Map<string, string[]>();
  for (const s of drp)
    graph.set(
      s.hostname,
      s.dependsOn.filter((d) => names.has(d)),
    );
  return graph;
}

/**
 * The DRP graph with the runbook's steps as nodes: a step follows the servers and steps it names;
 * a drp server may wait for a step. Post-cleanup steps run outside the RTO and are left out.
 */
function withSteps(graph: Map<string, string[]>, servers: ServerState[], runbook: readonly RunbookStep[]) {
  const steps = runbook.filter((s) => !isPostCleanup(s));
  if (!steps.length) return graph;
  const names = new Set([...graph.keys(), ...steps.map((s) => s.name)]);
  for (const s of steps)
    graph.set(
      s.name,
      s.after.filter((a) => names.has(a)),
    );
  for (const s of servers)
    if (graph.has(s.hostname))
      graph.set(
        s.hostname,
        s.dependsOn.filter((d) => names.has(d)),
      );
  return graph;
}

/**
 * The DRP as a plan: its servers (the `drp` class), boot waves for display, and the predicted RTO
 * from the graph-driven schedule (restores in parallel; a server boots once restored and its
 * upstream servers are available). O(V + E).
 */
export function computePlan(
  servers: ServerState[],
  settings: RecoveryEstimateSettings = DEFAULT_ESTIMATES,
  runbook: readonly RunbookStep[] = [],
): PlanView {
  const graph: DependencyGraph = withSteps(drpGraph(servers), servers, runbook);
  const byName = new Map(servers.filter((s) => graph.has(s.hostname)).map((s) => [s.hostname, s]));
  const estimates = new Map<string, ServerEstimate>();
  for (const [name, s] of byName) estimates.set(name, estimateServer(s, settings));
  // A step is a node that is ready at once and takes its kind's estimate.
  const stepEstimate = new Map(
    runbook.filter((s) => graph.has(s.name)).map((s) => [s.name, STEP_ESTIMATE_MINUTES[s.kind]]),
  );
  for (const [name, minutes] of stepEstimate)
    estimates.set(name, { restoreMinutes: 0, bootMinutes: minutes, analysisMinutes: 0 });
  // Backup restores share the recovery space's bandwidth, run as the engine runs them (bounded,
  // longest downstream chain first); replicas are powered on or presented without it.
  const startOf = (name: string) => estimates.get(name)!.bootMinutes + estimates.get(name)!.analysisMinutes;
  const tails = downstreamTails(graph, startOf);
  const restoreSizes = new Map(
    [...byName]
      .filter(([, s]) => s.recoveryMethod === 'backup-restore')
      .map(([name, s]) => [name, totalDiskGiB(s)]),
  );
  const restored = sharedRestoreFinish(
    restoreSizes,
    settings.sharedRestoreGiBPerMinute,
    settings.maxParallelRestores,
    (n) => tails.get(n) ?? 0,
  );
  for (const [name, minutes] of restored)
    estimates.set(name, { ...estimates.get(name)!, restoreMinutes: minutes });
  const result = schedule(graph, (name) => {
    const e = estimates.get(name)!;
    return { ready: e.restoreMinutes, start: e.bootMinutes + e.analysisMinutes };
  });
  const planServers: PlanServer[] = [...byName.values()]
    .sort((a, b) => a.hostname.localeCompare(b.hostname))
    .map((s) => {
      const e = estimates.get(s.hostname)!;
      const at = result.availableAt.get(s.hostname);
      return {
        id: s.id,
        hostname: s.hostname,
        osFamily: s.os.family,
        recoveryMethod: s.recoveryMethod,
        dependsOn: s.dependsOn,
        rtoMinutes: s.rtoMinutes,
        rpoMinutes: s.rpoMinutes,
        estimate: {
          restoreMinutes: round1(e.restoreMinutes),
          bootMinutes: e.bootMinutes,
          analysisMinutes: e.analysisMinutes,
        },
        predictedAvailableAfterMinutes: at === undefined ? null : round1(at),
      };
    });
  return {
    servers: planServers,
    steps: runbook.map((s) => ({
      name: s.name,
      kind: s.kind,
      after: s.after,
      estimateMinutes: STEP_ESTIMATE_MINUTES[s.kind],
      predictedDoneAfterMinutes: stepEstimate.has(s.name) ? round1(result.availableAt.get(s.name)!) : null,
    })),
    bootWaves: bootWaves(drpGraph(servers)),
    criticalPath: result.criticalPath,
    predictedRtoMinutes: round1(result.makespan),
  };
}
