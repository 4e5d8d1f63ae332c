import { Pool } from 'undici';

/** One HTTP exchange as the recovery-cloud client sees it: a status and the body as text. */
export interface HttpExchange {
  method: string;
  /** Path and query, e.g. `/cloud/v1/operations/op-000001`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/** Why an exchange got no answer (the caller retries it). */
export class HttpTransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

/** Sends one exchange; rejects with `HttpTransportError` when no answer came (timeout, network). */
export interface HttpTransport {
  send(exchange: HttpExchange): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface PooledTransportOptions {
  /** Per-attempt timeout (ms) for the answer's headers, and again for its body. */
  timeoutMs: number;
  /** Keep-alive connections to the cloud at most (default 16). */
  connections?: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * undici's own pooled client: a few keep-alive connections reused by every call, timeouts from
 * undici's coarse timers (no `AbortSignal` and no WHATWG streams per call, which made `fetch` the
 * worker's main cost). The pool's idle sockets never keep the process alive.
 */
export function pooledTransport(origin: string, options: PooledTransportOptions): HttpTransport {
  const pool = new Pool(origin, {
    connections: options.connections ?? 16,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: options.timeoutMs },
  });
  return {
    async send({ method, path, headers, body }) {
      try {
        const answer = await pool.request({
          method: method as 'GET',
          path,
          headers,
          body,
        });
        return { status: answer.statusCode, text: await answer.body.text() };
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        throw TIMEOUT_CODES.has(code)
          ? new HttpTransportError('timeout', `timeout after ${options.timeoutMs} ms`)
          : new HttpTransportError('network', `network error: ${describe(error)}`);
      }
    },
    close: () => pool.close(),
  };
}

function describe(error: unknown): string {
  const e = error as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  return (
    [e?.message, e?.code, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(' / ') || String(error)
  );
}
