import type { JobsOptions } from 'bullmq';
import type { StepKind } from '@reprise/domain/activation/activation.workflow';

/**
 * Every BullMQ queue and job of Reprise in one place: a typed JobName → QueueName registry with typed
 * payloads, de-duplication through `jobId`, and retry defaults. Jobs carry work, never state: each
 * payload only names what to look at; the handler reads the truth from the event store.
 */
export enum QueueName {
  /** Activation steps, one job per step the workflow says is due (restore, boot, analyse, network, teardown…). */
  CloudStep = 'reprise-cloud-step',
  /** Webhook deliveries (codes, report ready, RTO breach, test due). */
  Notification = 'reprise-notification',
  /** Recurring work: planned tests, test cadence, compliance notices. */
  Scheduler = 'reprise-scheduler',
}

export interface JobPayloads {
  /** A step of the activation workflow (`DueStep`), keyed by its stable key. */
  'activation.step': {
    tenantId: string;
    activationId: string;
    step: StepKind;
    serverId: string | null;
    key: string;
    attempt: number;
    /** A runbook step's name. */
    stepName?: string;
  };
  'notification.deliver': { tenantId: string; notificationId: string };
  /** Produced by a BullMQ job scheduler (upsertJobScheduler, every ~1 s): starts due tests, closes them, default cadence, due/overdue notices. */
  'schedule.tick': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUE: { [N in JobName]: QueueName } = {
  'activation.step': QueueName.CloudStep,
  'notification.deliver': QueueName.Notification,
  'schedule.tick': QueueName.Scheduler,
};

/** Retry defaults: transient cloud errors back off exponentially; permanent ones become events. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: { count: 2000 },
  removeOnFail: { count: 5000 },
};

export const JOB_OPTIONS: { [N in JobName]?: JobsOptions } = {
  'notification.deliver': { attempts: 8, backoff: { type: 'exponential', delay: 1000 } },
};

/** BullMQ job ids may not contain ':' in some versions' custom ids; keep them readable and safe. */
export function jobIdFor(name: JobName, key: string): string {
  return `${name}__${key}`.replace(/[:]/g, '_');
}

export function optionsFor(name: JobName, key: string, extra: JobsOptions = {}): JobsOptions {
  return { ...DEFAULT_JOB_OPTIONS, ...JOB_OPTIONS[name], jobId: jobIdFor(name, key), ...extra };
}
