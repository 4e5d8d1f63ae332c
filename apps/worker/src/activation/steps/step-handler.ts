import { DiscoveryService } from '@nestjs/core';
import type { ActivationCommand } from '@reprise/domain/activation/activation.commands';
import type { Activation, ServerState } from '@reprise/domain/activation/activation.state';
import type { DueStep, StepKind } from '@reprise/domain/activation/activation.workflow';

/** One step of one activation, as a handler receives it: the step the workflow said was due, and the state it was due in. */
export interface StepRun {
  tenantId: string;
  activationId: string;
  step: DueStep;
  state: Activation;
  /** The server of a server step (restore, boot, analyse); null for a step of the whole activation. */
  server: ServerState | null;
  /** Records a fact through the activation decider (appended with the expected revision). */
  record(command: ActivationCommand): Promise<unknown>;
  /** Business time now (the Clock port). */
  now(): string;
  /**
   * Reads the activation again and asks the workflow whether this step is still due: a handler
   * calls it before each further side effect of a long step (an abort recorded meanwhile stops it).
   */
  stillDue(): Promise<boolean>;
}

export interface ServerStepRun extends StepRun {
  server: ServerState;
}

/**
 * Does one kind of step. A handler may be run again for the same step (crash, lost queue, retry):
 * it sends every mutating call with an idempotency key derived from `step.key` and resumes what the
 * cloud already lists rather than starting it again. A permanent refusal is thrown as
 * `CloudPermanentError` (the step runner records it as the step's failure); anything else thrown is
 * retried by the queue.
 */
export interface StepHandler {
  run(run: StepRun): Promise<void>;
}

/** Registers a provider as the handler of a step kind (discovered at start-up; see StepHandlers). */
export const HandlesStep = DiscoveryService.createDecorator<StepKind>();
