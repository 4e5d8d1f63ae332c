import { Injectable } from '@nestjs/common';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { failed, markStarted, runbookStepOf, succeeded } from './runbook-step';

/** Output kept in the step's detail. */
const DETAIL_MAX = 1000;

/**
 * A script run inside a recovered server through the cloud's guest operations, under an idempotency
 * key of the step: a worker killed meanwhile resumes the same run (the cloud replays it), never a
 * second one. A non-zero exit code fails the step with the output's tail.
 */
@Injectable()
@HandlesStep('script')
export class ScriptHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    const step = runbookStepOf(run);
    if (step.snapshot.kind !== 'script') throw new Error(`${step.snapshot.name} is no script step`);
    await markStarted(run, step);
    const vm = await this.cloud.vmOf(run, step.snapshot.serverId!);
    if (!vm)
      return void (await failed(run, step, `${step.snapshot.server} is not running in the recovery space`));
    if (!(await run.stillDue())) return;
    const op = await this.cloud.wait(
      await this.cloud.cloud.guestRun(
        {
          tenantId: run.tenantId,
          vmId: vm.id,
          interpreter: step.snapshot.interpreter,
          script: step.snapshot.script,
        },
        { idempotencyKey: `${run.step.key}:guest-run` },
      ),
    );
    const { exitCode, output, durationSeconds } = op.result!;
    const tail = output.length > DETAIL_MAX ? `…${output.slice(-DETAIL_MAX)}` : output;
    if (exitCode === 0) await succeeded(run, step, `exit 0 in ${durationSeconds} s: ${tail}`);
    else await failed(run, step, `exit ${exitCode} after ${durationSeconds} s: ${tail}`);
  }
}
