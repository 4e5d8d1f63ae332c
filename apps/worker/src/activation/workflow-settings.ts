import type { Environment } from '@reprise/common/config/environment';
import {
  DEFAULT_WORKFLOW_SETTINGS,
  type WorkflowSettings,
} from '@reprise/domain/activation/activation.workflow';

/** Injection token of the activation workflow's settings. */
export const WORKFLOW_SETTINGS = Symbol('WORKFLOW_SETTINGS');

/** The workflow's tuning, from the validated Environment. */
export const workflowSettings = (env: Environment): WorkflowSettings => ({
  ...DEFAULT_WORKFLOW_SETTINGS,
  maxParallelRestores: env.REPRISE_MAX_PARALLEL_RESTORES ?? DEFAULT_WORKFLOW_SETTINGS.maxParallelRestores,
});
