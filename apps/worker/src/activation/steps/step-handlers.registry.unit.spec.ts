import { Injectable } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { validateEnvironment, Environment } from '@reprise/common/config/environment';
import { STEP_KINDS } from '@reprise/domain/activation/activation.workflow';
import { RECOVERY_CLOUD } from '@reprise/recovery-cloud-client';
import { InMemoryRecoveryCloud } from '@reprise/recovery-cloud-client/testing/in-memory-recovery-cloud';
import { AnalyseHandler } from './analyse.handler';
import { BootHandler } from './boot.handler';
import { CloudSteps } from './cloud-steps.service';
import { FailbackHandler } from './failback.handler';
import { FAILBACK_STEP_HANDLERS } from './failback';
import { NetworkHandler } from './network.handler';
import { RestoreHandler } from './restore.handler';
import { PowerOnReplica } from './restore/power-on-replica';
import { PresentLun } from './restore/present-lun';
import { RestoreFromBackup } from './restore/restore-from-backup';
import { HandlesStep, type StepHandler } from './step-handler';
import { handlerMap, StepHandlers } from './step-handlers.registry';
import { TeardownHandler } from './teardown.handler';
import { CheckHandler } from './runbook/check.handler';
import { ManualHandler } from './runbook/manual.handler';
import { ScriptHandler } from './runbook/script.handler';
import { WebhookHandler } from './runbook/webhook.handler';
import { randomBytes } from 'node:crypto';
import { SECRET_BOX, SecretBox } from '@reprise/common/crypto/secret-box';
import { EVENT_STORE } from '@reprise/event-store/event-store.port';

const ALL = [
  RestoreHandler,
  BootHandler,
  AnalyseHandler,
  NetworkHandler,
  TeardownHandler,
  FailbackHandler,
  WebhookHandler,
  ScriptHandler,
  CheckHandler,
  ManualHandler,
  ...FAILBACK_STEP_HANDLERS,
];

async function registryWith(handlers: unknown[]) {
  const module = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [
      { provide: RECOVERY_CLOUD, useValue: new InMemoryRecoveryCloud() },
      { provide: Environment, useValue: validateEnvironment({}) },
      { provide: EVENT_STORE, useValue: {} },
      { provide: SECRET_BOX, useValue: new SecretBox(randomBytes(32)) },
      CloudSteps,
      RestoreFromBackup,
      PowerOnReplica,
      PresentLun,
      ...(handlers as never[]),
      StepHandlers,
    ],
  }).compile();
  await module.init();
  return module;
}

describe('step handler registry', () => {
  it('discovers one handler per step kind at start-up', async () => {
    const module = await registryWith(ALL);
    const registry = module.get(StepHandlers);
    for (const kind of STEP_KINDS) expect(registry.for(kind)).toBeDefined();
    expect(registry.for('restore')).toBeInstanceOf(RestoreHandler);
    expect(registry.for('failback')).toBeInstanceOf(FailbackHandler);
    await module.close();
  });

  it('refuses to start when a step kind has no handler, naming it', async () => {
    await expect(registryWith(ALL.filter((h) => h !== FailbackHandler))).rejects.toThrow(
      'no handler for step kind "failback"',
    );
  });

  it('refuses two handlers for one kind, and a handler of an unknown kind', async () => {
    @Injectable()
    @HandlesStep('boot')
    class AnotherBoot implements StepHandler {
      async run(): Promise<void> {}
    }
    await expect(registryWith([...ALL, AnotherBoot])).rejects.toThrow('"boot" has more than one handler');
    const handler: StepHandler = { run: async () => undefined };
    expect(() =>
      handlerMap([
        ...STEP_KINDS.map((kind) => ({ kind, name: kind, handler })),
        { kind: 'e-mail' as never, name: 'EmailHandler', handler },
      ]),
    ).toThrow('EmailHandler handles "e-mail", which is not a step kind');
  });
});
