import { Inject, Injectable, Logger } from '@nestjs/common';
import { isStillDue, stepFailure, type DueStep } from '@reprise/domain/activation/activation.workflow';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import type { JobPayloads } from '@reprise/jobs';
import { ActivationRecorder } from './activation-recorder.service';
import { gaveUp, permanentFailure, type Failure } from './steps/step-failures';
import { StepHandlers } from './steps/step-handlers.registry';

export type StepJob = JobPayloads['activation.step'];

const dueStepOf = (job: StepJob): DueStep => ({
  kind: job.step,
  key: job.key,
  serverId: job.serverId,
  attempt: job.attempt,
  ...(job.stepName === undefined ? {} : { step: job.stepName }),
});

/**
 * Runs one step taken from the queue: reads the activation, asks the workflow whether the step is
 * still due (a copy of a step that is done, superseded or aborted calls nothing: no idempotency key
 * is replayed for work the events already record), and hands it to the handler of its kind. A
 * permanent refusal of the cloud becomes the step's failure event (`stepFailure`, one place);
 * anything else is thrown for the queue to retry, and `giveUp` records it after the last retry.
 */
@Injectable()
export class StepRunner {
  private readonly logger = new Logger(StepRunner.name);

  constructor(
    @Inject(ActivationRecorder) private readonly activations: Pick<ActivationRecorder, 'load' | 'record'>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(StepHandlers) private readonly handlers: Pick<StepHandlers, 'for'>,
  ) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  async run(job: StepJob, causationId: string): Promise<void> {
    const step = dueStepOf(job);
    const state = await this.activations.load(job.tenantId, job.activationId);
    if (!state || !isStillDue(state, step)) return;
    const record = (command: Parameters<ActivationRecorder['record']>[2]) =>
      this.activations.record(job.tenantId, job.activationId, command, causationId);
    try {
      await this.handlers.for(step.kind).run({
        tenantId: job.tenantId,
        activationId: job.activationId,
        step,
        state,
        server: step.serverId === null ? null : state.servers[state.index[step.serverId]],
        record,
        now: () => this.now(),
        stillDue: async () => {
          const current = await this.activations.load(job.tenantId, job.activationId);
          return !!current && isStillDue(current, step);
        },
      });
    } catch (error) {
      const failure = permanentFailure(error);
      if (!failure || !(await this.fail(job, failure, causationId))) throw error;
    }
  }

  /** Records a step that still failed after its last retry (failures are events, never swallowed). */
  async giveUp(job: StepJob, attempts: number, error: Error, causationId: string | null): Promise<void> {
    const failure = gaveUp(attempts, error);
    try {
      if (!(await this.fail(job, failure, causationId)))
        this.logger.error(`step ${job.key} failed for good: ${failure.reason}`);
    } catch (recordError) {
      this.logger.error(`could not record the failure of ${job.key}: ${(recordError as Error).message}`);
    }
  }

  /** Records the step's failure; false for a step whose failure is not an event (it is retried). */
  private async fail(job: StepJob, failure: Failure, causationId: string | null): Promise<boolean> {
    const command = stepFailure(dueStepOf(job), { ...failure, at: this.now() });
    if (!command) return false;
    await this.activations.record(job.tenantId, job.activationId, command, causationId);
    return true;
  }
}
