/** A problem+json answer of the API (`{type, title, status, detail, errors?}`). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: Array<{ field: string; message: string }>;
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
}

export const API_BASE = '/api/v1';

let csrfToken: string | null = null;
const unauthorisedListeners = new Set<() => void>();

/** The session's CSRF token (from `GET /auth/me`), sent with every write. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API answers 401 to a signed-in page (the session ended or expired). */
export function onUnauthorised(listener: () => void): () => void {
  unauthorisedListeners.add(listener);
  return () => unauthorisedListeners.delete(listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Raw text body (e.g. a CSV) with its content type. */
  text?: { body: string; contentType: string };
  ifMatch?: number;
  signal?: AbortSignal;
}

/** One call to the API with the session cookie; JSON in and out; problem+json becomes an ApiError. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? (options.body !== undefined || options.text ? 'POST' : 'GET');
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (options.text) {
    headers['content-type'] = options.text.contentType;
    body = options.text.body;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (options.ifMatch !== undefined) headers['if-match'] = String(options.ifMatch);
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError({ status: 0, title: 'Network error', detail: 'The Reprise API did not answer.' });
  }
  const text = await res.text();
  const json = text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/auth/login')) unauthorisedListeners.forEach((l) => l());
    throw new ApiError(json ?? { status: res.status, title: res.statusText, detail: text.slice(0, 300) });
  }
  return (json ?? (text || null)) as T;
}

/** The words to show for a failed call: the problem's detail, then each invalid field. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = (error.problem.errors ?? []).map((e) => `${e.field}: ${e.message}`);
    return [error.message, ...fields].join(' — ');
  }
  return error instanceof Error ? error.message : String(error);
}
