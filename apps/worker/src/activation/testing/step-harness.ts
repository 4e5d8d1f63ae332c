import { validateEnvironment } from '@reprise/common/config/environment';
import type { ActivationCommand } from '@reprise/domain/activation/activation.commands';
import { activationDecider } from '@reprise/domain/activation/activation.decider';
import type { ActivationEvent } from '@reprise/domain/activation/activation.events';
import type { Activation } from '@reprise/domain/activation/activation.state';
import {
  isStillDue,
  whatIsDue,
  type DueStep,
  type StepKind,
} from '@reprise/domain/activation/activation.workflow';
import { stateOf } from '@reprise/domain/activation/testing/given-when-then';
import { InMemoryRecoveryCloud } from '@reprise/recovery-cloud-client/testing/in-memory-recovery-cloud';
import { CloudSteps } from '../steps/cloud-steps.service';
import type { StepHandler, StepRun } from '../steps/step-handler';

/**
 * An activation held in memory for unit tests of step handlers: facts go through the activation
 * decider exactly as the worker records them (a fact the decider refuses throws), against an
 * in-memory recovery cloud.
 */
export class StepHarness {
  readonly cloud: InMemoryRecoveryCloud;
  readonly steps: CloudSteps;
  readonly recorded: ActivationCommand[] = [];
  private events: ActivationEvent[];
  private clockMs: number;

  constructor(events: ActivationEvent[], now = '2024-06-03T08:00:00.000Z') {
    this.events = [...events];
    this.clockMs = Date.parse(now);
    this.cloud = new InMemoryRecoveryCloud(() => this.now());
    this.steps = new CloudSteps(this.cloud, validateEnvironment({}));
  }

  /** The cloud knows every server of the scope (the estate sync registered them), with these restore points. */
  knowServers(takenAt?: string[]): this {
    for (const x of this.state.servers) {
      const s = x.snapshot;
      this.cloud.knowServer(
        {
          tenantId: this.state.tenantId,
          serverId: s.serverId,
          hostname: s.hostname,
          osFamily: s.osFamily,
          disks: s.disks,
          template: s.template,
          recoveryMethod: s.recoveryMethod,
        },
        takenAt,
      );
    }
    return this;
  }

  /** A VM the cloud already runs for the server (placed by an earlier step). */
  async placeVm(serverId: string): Promise<void> {
    await this.cloud.createServer(
      { tenantId: this.state.tenantId, activationId: this.state.id, serverId },
      { idempotencyKey: `earlier:${serverId}` },
    );
  }

  get state(): Activation {
    return stateOf(this.events);
  }

  /** Business time: one minute passes with every call, so facts keep their order. */
  now(): string {
    this.clockMs += 60_000;
    return new Date(this.clockMs).toISOString();
  }

  load = async (): Promise<Activation> => this.state;

  record = async (command: ActivationCommand): Promise<ActivationEvent[]> => {
    const events = activationDecider.decide(command, this.state);
    this.recorded.push(command);
    this.events.push(...events);
    return events;
  };

  /** The step of `kind` (for `hostname`) the workflow says is due now. */
  due(kind: StepKind, hostname?: string): DueStep {
    const state = this.state;
    const step = whatIsDue(state, this.now()).steps.find(
      (s) =>
        s.kind === kind &&
        (hostname === undefined ||
          state.servers[state.index[s.serverId ?? '']]?.snapshot.hostname === hostname),
    );
    if (!step) throw new Error(`no ${kind} step due${hostname ? ` for ${hostname}` : ''}`);
    return step;
  }

  run(handler: StepHandler, step: DueStep): Promise<void> {
    const state = this.state;
    const run: StepRun = {
      tenantId: state.tenantId,
      activationId: state.id,
      step,
      state,
      server: step.serverId === null ? null : state.servers[state.index[step.serverId]],
      record: this.record,
      now: () => this.now(),
      stillDue: async () => isStillDue(this.state, step),
    };
    return handler.run(run);
  }

  /** Types of the facts recorded, in order. */
  facts(): string[] {
    return this.recorded.map((c) => c.type);
  }
}
