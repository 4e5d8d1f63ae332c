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

export interface PlanView {
  servers: PlanServer[];
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
 * The DRP as a plan: its servers (the `drp` class), boot waves for display, and the predicted RTO
 * from the graph-driven schedule (restores in parallel; a server boots once restored and its
 * upstream servers are available). O(V + E).
 */
export function computePlan(
  servers: ServerState[],
  settings: RecoveryEstimateSettings = DEFAULT_ESTIMATES,
): PlanView {
  const graph: DependencyGraph = drpGraph(servers);
  const byName = new Map(servers.filter((s) => graph.has(s.hostname)).map((s) => [s.hostname, s]));
  const estimates = new Map<string, ServerEstimate>();
  for (const [name, s] of byName) estimates.set(name, estimateServer(s, settings));
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
    bootWaves: bootWaves(graph),
    criticalPath: result.criticalPath,
    predictedRtoMinutes: round1(result.makespan),
  };
}
