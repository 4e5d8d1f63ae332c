/**
 * Configuration of the simulated recovery cloud (`GET/PUT /sim/v1/config`).
 * Clusters are homogeneous (one blade model per cluster) and hold at most 32 hosts.
 */
export const MAX_HOSTS_PER_CLUSTER = 32;

export interface ClusterConfig {
  id: string;
  hostCount: number;
  hostVcpu: number;
  hostRamGiB: number;
}

export interface DatastoreConfig {
  id: string;
  capacityGiB: number;
}

export interface SimConfig {
  clusters: ClusterConfig[];
  datastores: DatastoreConfig[];
  capacity: {
    /** No host may go above this share of its RAM (keeps the average under it too). */
    ramCapPercent: number;
    /** Share of every datastore kept free (snapshots). */
    datastoreReservePercent: number;
    /** vCPU over-commit ratio per host (allocated vCPU <= host vCPU x ratio). */
    vcpuOvercommit: number;
  };
  timing: {
    /** Every duration is zero (engine-overhead benchmarks). */
    zeroDurations: boolean;
    /** Total restore bandwidth shared by all concurrent restores (processor sharing). */
    restoreBandwidthMiBps: number;
    /** A `slow-restore` fault multiplies the restore's share by this factor. */
    slowRestoreFactor: number;
    createServerSeconds: number;
    bootMinutes: { windows: number; linux: number };
    /** Boot time varies by +/- this percentage (seeded). */
    bootJitterPercent: number;
    analysisMinutes: number;
    networkMinutes: number;
    ncaMinutes: number;
    vpnMinutes: number;
    replicaPowerOnMinutes: number;
    lunPresentMinutes: number;
    teardownMinutes: number;
  };
  backups: {
    incrementalEveryMinutes: number;
    fullEveryMinutes: number;
    /** How far back restore points are kept (and listed). */
    retentionDays: number;
    /** VM replication pushes writes this often; the replica is at most this old. */
    vmReplicationIntervalMinutes: number;
    /** Asynchronous LUN replication RPO. */
    storageReplicationRpoMinutes: number;
  };
  /** Random fault probabilities per step (0..1), drawn with the seed. */
  faultRates: {
    restoreFailure: number;
    bootFailure: number;
    healthWarning: number;
    healthFailure: number;
  };
  /** The way back to the original site (failback). */
  failback: {
    /** Mean rate at which a server running at the recovery site changes its data. */
    changeRateGiBPerHour: number;
    /** Each server's rate varies by +/- this percentage around the mean (seeded, per hostname). */
    changeRateJitterPercent: number;
    /** Rates of named servers (hostname → GiB per hour), instead of the seeded one. */
    changeRates: Record<string, number>;
    /** Bandwidth of one reverse replication (initial copy or delta) to the original site. */
    reverseBandwidthMiBps: number;
    /** Clean shutdown of a server at the recovery site. */
    stopServerMinutes: number;
    /** Start of a server at the original site, with its health check. */
    originalStartMinutes: number;
    /** Users reconnected to the original site (VPN/MPLS routes switched back). */
    reconnectMinutes: number;
  };
  /** Provider API misbehaviour on /cloud/v1 (drawn from a seeded sequence). */
  api: {
    errorRate: number;
    errorStatus: number;
    latencyMs: number;
    latencyRate: number;
  };
}

export function defaultSimConfig(): SimConfig {
  return {
    clusters: [{ id: 'cl-1', hostCount: 8, hostVcpu: 64, hostRamGiB: 384 }],
    datastores: [
      { id: 'ds-1', capacityGiB: 20480 },
      { id: 'ds-2', capacityGiB: 20480 },
    ],
    capacity: { ramCapPercent: 85, datastoreReservePercent: 10, vcpuOvercommit: 4 },
    timing: {
      zeroDurations: false,
      restoreBandwidthMiBps: 1024,
      slowRestoreFactor: 0.25,
      createServerSeconds: 60,
      bootMinutes: { windows: 6, linux: 3 },
      bootJitterPercent: 25,
      analysisMinutes: 4,
      networkMinutes: 2,
      ncaMinutes: 5,
      vpnMinutes: 8,
      replicaPowerOnMinutes: 8,
      lunPresentMinutes: 45,
      teardownMinutes: 2,
    },
    backups: {
      incrementalEveryMinutes: 60,
      fullEveryMinutes: 1440,
      retentionDays: 3,
      vmReplicationIntervalMinutes: 60,
      storageReplicationRpoMinutes: 15,
    },
    faultRates: { restoreFailure: 0, bootFailure: 0, healthWarning: 0, healthFailure: 0 },
    failback: {
      changeRateGiBPerHour: 2,
      changeRateJitterPercent: 50,
      changeRates: {},
      reverseBandwidthMiBps: 800,
      stopServerMinutes: 1,
      originalStartMinutes: 5,
      reconnectMinutes: 3,
    },
    api: { errorRate: 0, errorStatus: 503, latencyMs: 0, latencyRate: 0 },
  };
}

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges a partial config over a base (arrays are replaced, not merged). */
export function mergeConfig(base: SimConfig, patch: unknown): SimConfig {
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return structuredClone(a);
    if (isPlainObject(a) && isPlainObject(b)) {
      const out: Record<string, unknown> = { ...(structuredClone(a) as Record<string, unknown>) };
      for (const [key, value] of Object.entries(b)) out[key] = merge(a[key], value);
      return out;
    }
    return structuredClone(b);
  };
  return merge(base, patch) as SimConfig;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid simulator config: ${problems.join('; ')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Returns the problems of a config (empty when valid). */
export function configProblems(config: SimConfig): string[] {
  const problems: string[] = [];
  const num = (
    path: string,
    value: unknown,
    min: number,
    max = Number.POSITIVE_INFINITY,
    integer = false,
  ) => {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    ) {
      problems.push(
        `${path} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}] (got ${JSON.stringify(value)})`,
      );
    }
  };
  if (!Array.isArray(config.clusters) || config.clusters.length === 0)
    problems.push('clusters must be a non-empty array');
  const ids = new Set<string>();
  (Array.isArray(config.clusters) ? config.clusters : []).forEach((cluster, i) => {
    if (!cluster || typeof cluster.id !== 'string' || !cluster.id)
      problems.push(`clusters[${i}].id is required`);
    else if (ids.has(cluster.id)) problems.push(`clusters[${i}].id "${cluster.id}" is duplicated`);
    else ids.add(cluster.id);
    if (typeof cluster?.hostCount === 'number' && cluster.hostCount > MAX_HOSTS_PER_CLUSTER) {
      problems.push(
        `cluster ${cluster.id} has ${cluster.hostCount} hosts; a cluster holds at most ${MAX_HOSTS_PER_CLUSTER} hosts (create a second cluster)`,
      );
    } else num(`clusters[${i}].hostCount`, cluster?.hostCount, 1, MAX_HOSTS_PER_CLUSTER, true);
    num(`clusters[${i}].hostVcpu`, cluster?.hostVcpu, 1);
    num(`clusters[${i}].hostRamGiB`, cluster?.hostRamGiB, 1);
  });
  if (!Array.isArray(config.datastores) || config.datastores.length === 0)
    problems.push('datastores must be a non-empty array');
  const dsIds = new Set<string>();
  (Array.isArray(config.datastores) ? config.datastores : []).forEach((ds, i) => {
    if (!ds || typeof ds.id !== 'string' || !ds.id) problems.push(`datastores[${i}].id is required`);
    else if (dsIds.has(ds.id)) problems.push(`datastores[${i}].id "${ds.id}" is duplicated`);
    else dsIds.add(ds.id);
    num(`datastores[${i}].capacityGiB`, ds?.capacityGiB, 1);
  });
  num('capacity.ramCapPercent', config.capacity?.ramCapPercent, 1, 100);
  num('capacity.datastoreReservePercent', config.capacity?.datastoreReservePercent, 0, 99);
  num('capacity.vcpuOvercommit', config.capacity?.vcpuOvercommit, 0.1);
  const t = config.timing;
  if (typeof t?.zeroDurations !== 'boolean') problems.push('timing.zeroDurations must be a boolean');
  num('timing.restoreBandwidthMiBps', t?.restoreBandwidthMiBps, 0.001);
  num('timing.slowRestoreFactor', t?.slowRestoreFactor, 0.001, 1);
  num('timing.createServerSeconds', t?.createServerSeconds, 0);
  num('timing.bootMinutes.windows', t?.bootMinutes?.windows, 0);
  num('timing.bootMinutes.linux', t?.bootMinutes?.linux, 0);
  num('timing.bootJitterPercent', t?.bootJitterPercent, 0, 100);
  for (const key of [
    'analysisMinutes',
    'networkMinutes',
    'ncaMinutes',
    'vpnMinutes',
    'replicaPowerOnMinutes',
    'lunPresentMinutes',
    'teardownMinutes',
  ] as const) {
    num(`timing.${key}`, t?.[key], 0);
  }
  num('backups.incrementalEveryMinutes', config.backups?.incrementalEveryMinutes, 1);
  num('backups.fullEveryMinutes', config.backups?.fullEveryMinutes, 1);
  num('backups.retentionDays', config.backups?.retentionDays, 0.01, 365);
  num('backups.vmReplicationIntervalMinutes', config.backups?.vmReplicationIntervalMinutes, 1);
  num('backups.storageReplicationRpoMinutes', config.backups?.storageReplicationRpoMinutes, 0);
  for (const key of ['restoreFailure', 'bootFailure', 'healthWarning', 'healthFailure'] as const) {
    num(`faultRates.${key}`, config.faultRates?.[key], 0, 1);
  }
  const f = config.failback;
  num('failback.changeRateGiBPerHour', f?.changeRateGiBPerHour, 0, 10_000);
  num('failback.changeRateJitterPercent', f?.changeRateJitterPercent, 0, 100);
  if (!isPlainObject(f?.changeRates))
    problems.push('failback.changeRates must be an object (hostname → GiB per hour)');
  else
    for (const [host, rate] of Object.entries(f.changeRates))
      num(`failback.changeRates.${host}`, rate, 0, 10_000);
  num('failback.reverseBandwidthMiBps', f?.reverseBandwidthMiBps, 0.001);
  for (const key of ['stopServerMinutes', 'originalStartMinutes', 'reconnectMinutes'] as const)
    num(`failback.${key}`, f?.[key], 0);
  num('api.errorRate', config.api?.errorRate, 0, 1);
  num('api.errorStatus', config.api?.errorStatus, 500, 599, true);
  num('api.latencyMs', config.api?.latencyMs, 0, 60000);
  num('api.latencyRate', config.api?.latencyRate, 0, 1);
  return problems;
}

export function validateConfig(config: SimConfig): SimConfig {
  const problems = configProblems(config);
  if (problems.length) throw new ConfigValidationError(problems);
  return config;
}
