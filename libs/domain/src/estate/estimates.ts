import type { RecoveryMethod, ServerState } from './server';

/**
 * Nominal per-server recovery estimates (minutes), used by the plan's predicted RTO. Defaults are
 * conservative figures from the service description; the engine replaces them with measured unit
 * restore times as tests run.
 */
export interface RecoveryEstimateSettings {
  /** Restore throughput of one server's restore from the backup space (GiB per minute). 5 GiB/min ≈ 0.7 Gbit/s. */
  restoreGiBPerMinute: number;
  /**
   * Restore bandwidth of the recovery space, shared by every restore in flight (GiB per minute; 60 ≈
   * 1 GiB/s, the simulator's default). The plan predicts restores as the engine runs them: at most
   * `maxParallelRestores` at once, longest downstream chain first.
   */
  sharedRestoreGiBPerMinute: number;
  maxParallelRestores: number;
  /** Powering on an asynchronously replicated VM (RTO < 15 min). */
  vmReplicationPowerOnMinutes: number;
  /** Presenting a replicated LUN to the recovery hosts (RTO < 4 h). */
  storageReplicationPresentMinutes: number;
  bootMinutes: { windows: number; linux: number };
  /** Post-boot analysis (health check). */
  analysisMinutes: number;
}

export const DEFAULT_ESTIMATES: RecoveryEstimateSettings = {
  restoreGiBPerMinute: 5,
  sharedRestoreGiBPerMinute: 60,
  maxParallelRestores: 16,
  vmReplicationPowerOnMinutes: 2,
  storageReplicationPresentMinutes: 30,
  bootMinutes: { windows: 6, linux: 3 },
  analysisMinutes: 3,
};

export interface ServerEstimate {
  /** Minutes until the server's disks are usable in the recovery space. */
  restoreMinutes: number;
  bootMinutes: number;
  analysisMinutes: number;
}

export const totalDiskGiB = (server: Pick<ServerState, 'disks'>) =>
  server.disks.reduce((sum, d) => sum + d.sizeGiB, 0);

export function restoreMinutes(
  method: RecoveryMethod,
  diskGiB: number,
  settings: RecoveryEstimateSettings = DEFAULT_ESTIMATES,
): number {
  switch (method) {
    case 'backup-restore':
      return diskGiB / settings.restoreGiBPerMinute;
    case 'vm-replication':
      return settings.vmReplicationPowerOnMinutes;
    case 'storage-replication':
      return settings.storageReplicationPresentMinutes;
  }
}

export function estimateServer(
  server: Pick<ServerState, 'disks' | 'os' | 'recoveryMethod'>,
  settings: RecoveryEstimateSettings = DEFAULT_ESTIMATES,
): ServerEstimate {
  return {
    restoreMinutes: restoreMinutes(server.recoveryMethod, totalDiskGiB(server), settings),
    bootMinutes: settings.bootMinutes[server.os.family],
    analysisMinutes: settings.analysisMinutes,
  };
}

export const round1 = (minutes: number) => Math.round(minutes * 10) / 10;
