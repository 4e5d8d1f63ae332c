import type { CloudOperation } from './types';

/** Base of every error raised by a RecoveryCloud adapter. */
export abstract class CloudError extends Error {
  abstract readonly transient: boolean;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Retrying will not help: a 4xx (refused, not found, conflict, invalid), or an operation that
 * failed in the cloud (`operation` then holds it, `code` is the cloud's reason such as
 * `insufficient-datastore`, `boot-failure`, `restore-failure`).
 */
export class CloudPermanentError extends CloudError {
  readonly transient = false;
  constructor(
    code: string,
    message: string,
    readonly status?: number,
    readonly operation?: CloudOperation,
  ) {
    super(code, message);
  }
}

/** The cloud could not be reached or kept failing (5xx, 503, network errors, timeouts) after every retry. */
export class CloudTransientError extends CloudError {
  readonly transient = true;
  constructor(
    code: string,
    message: string,
    readonly attempts: number,
    readonly lastStatus?: number,
  ) {
    super(code, message);
  }
}
