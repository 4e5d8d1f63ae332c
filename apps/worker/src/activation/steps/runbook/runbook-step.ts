import type { RunbookStepState } from '@reprise/domain/activation/runbook-steps';
import { findStep } from '@reprise/domain/activation/runbook-steps';
import type { StepRun } from '../step-handler';

/** The runbook step a run is about (the workflow gave its name). */
export function runbookStepOf(run: StepRun): RunbookStepState {
  const step = run.step.step === undefined ? undefined : findStep(run.state, run.step.step);
  if (!step) throw new Error(`step ${run.step.key} names no runbook step`);
  return step;
}

/** Records the step started (once: a resumed step finds it started). */
export async function markStarted(run: StepRun, step: RunbookStepState): Promise<void> {
  if (!step.startedAt)
    await run.record({
      type: 'RecordRunbookStepStarted',
      data: { name: step.snapshot.name, attempt: step.attempt, at: run.now() },
    });
}

export const succeeded = (run: StepRun, step: RunbookStepState, detail: string | null) =>
  run.record({
    type: 'RecordRunbookStepSucceeded',
    data: { name: step.snapshot.name, attempt: step.attempt, detail, at: run.now() },
  });

export const failed = (run: StepRun, step: RunbookStepState, reason: string) =>
  run.record({
    type: 'RecordRunbookStepFailed',
    data: { name: step.snapshot.name, attempt: step.attempt, reason, at: run.now() },
  });
