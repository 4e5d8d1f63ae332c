import { Injectable } from '@nestjs/common';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { markStarted, runbookStepOf } from './runbook-step';

/**
 * A manual step: the activation waits for a person (`…/steps/:name/sign-off` or `…/fail`). The
 * handler only records that it waits; the workflow's timers remind and time it out. Nothing is held
 * in the worker, so the wait survives any restart.
 */
@Injectable()
@HandlesStep('manual')
export class ManualHandler implements StepHandler {
  async run(run: StepRun): Promise<void> {
    await markStarted(run, runbookStepOf(run));
  }
}
