import { Injectable } from '@nestjs/common';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { failed, markStarted, runbookStepOf, succeeded } from './runbook-step';

/** A check of a recovered server through the cloud's network model: a TCP port, or an HTTP path's status. */
@Injectable()
@HandlesStep('check')
export class CheckHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    const step = runbookStepOf(run);
    if (step.snapshot.kind !== 'check') throw new Error(`${step.snapshot.name} is no check step`);
    await markStarted(run, step);
    const { server, probe } = step.snapshot;
    const vm = await this.cloud.vmOf(run, step.snapshot.serverId!);
    if (!vm) return void (await failed(run, step, `${server} is not running in the recovery space`));
    const op = await this.cloud.wait(
      await this.cloud.cloud.probe(
        {
          tenantId: run.tenantId,
          vmId: vm.id,
          ...('tcp' in probe ? { tcp: probe.tcp } : { http: probe.http }),
        },
        { idempotencyKey: `${run.step.key}:probe` },
      ),
    );
    const result = op.result!;
    if ('tcp' in probe) {
      if (result.open) await succeeded(run, step, `${server}:${probe.tcp} answers`);
      else await failed(run, step, `${server}:${probe.tcp} does not answer`);
    } else if (result.status === probe.expectStatus) {
      await succeeded(run, step, `GET ${probe.http} on ${server}: ${result.status}`);
    } else {
      await failed(
        run,
        step,
        `GET ${probe.http} on ${server}: ${result.status}, expected ${probe.expectStatus}`,
      );
    }
  }
}
