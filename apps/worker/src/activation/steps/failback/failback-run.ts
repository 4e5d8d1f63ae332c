import type { FailbackServerState } from '@reprise/domain/activation/failback.state';
import type { ReverseServerRequest } from '@reprise/recovery-cloud-client';
import type { StepRun } from '../step-handler';

/** The server of a failback step, as the failback's state has it. */
export function failbackServerOf(run: StepRun): FailbackServerState {
  const x = run.state.failback?.servers.find((y) => y.serverId === run.step.serverId);
  if (!x) throw new Error(`step ${run.step.key}: no failback server ${run.step.serverId}`);
  return x;
}

/** The server of the step at the recovery site, as the reverse-replication calls name it. */
export const reverseRequest = (run: StepRun): ReverseServerRequest => ({
  tenantId: run.tenantId,
  activationId: run.activationId,
  serverId: run.step.serverId!,
});
