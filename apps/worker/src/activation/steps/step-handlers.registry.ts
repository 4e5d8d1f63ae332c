import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { STEP_KINDS, type StepKind } from '@reprise/domain/activation/activation.workflow';
import { HandlesStep, type StepHandler } from './step-handler';

/** Checks that every step kind has exactly one handler; the worker refuses to start otherwise. */
export function handlerMap(found: Array<{ kind: StepKind; name: string; handler: StepHandler }>) {
  const handlers = new Map<StepKind, StepHandler>();
  const problems: string[] = [];
  for (const { kind, name, handler } of found) {
    if (!STEP_KINDS.includes(kind)) problems.push(`${name} handles "${kind}", which is not a step kind`);
    else if (handlers.has(kind)) problems.push(`"${kind}" has more than one handler (${name})`);
    else handlers.set(kind, handler);
  }
  for (const kind of STEP_KINDS) if (!handlers.has(kind)) problems.push(`no handler for step kind "${kind}"`);
  if (problems.length) throw new Error(`step handlers: ${problems.join('; ')}`);
  return handlers;
}

/**
 * The step handlers, by kind: every provider decorated with `@HandlesStep(kind)`, discovered when
 * the worker starts (Immich-style typed registry), with the start-up check of `handlerMap`.
 */
@Injectable()
export class StepHandlers implements OnModuleInit {
  private handlers = new Map<StepKind, StepHandler>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.handlers = handlerMap(
      this.discovery.getProviders({ metadataKey: HandlesStep.KEY }).map((wrapper) => ({
        kind: this.discovery.getMetadataByDecorator(HandlesStep, wrapper) as StepKind,
        name: wrapper.name,
        handler: wrapper.instance as StepHandler,
      })),
    );
  }

  for(kind: StepKind): StepHandler {
    const handler = this.handlers.get(kind);
    if (!handler) throw new Error(`no handler for step kind "${kind}"`);
    return handler;
  }
}
