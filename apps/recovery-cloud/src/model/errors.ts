/** A refusal or failure with a machine-readable code and a message naming the resource. */
export interface CloudErrorBody {
  code: string;
  message: string;
  resource?: string;
  shortfall?: Record<string, number>;
}

/** A synchronous refusal of a provider request (maps to an HTTP 4xx). Changes nothing. */
export class CloudRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CloudRequestError';
  }
}
