import type { CanonicalLogEntry, LogEntry } from './leaf';

/** What reading a log needs from an event store (structurally: any EventStore is one). */
export interface LogSource {
  readAll(options: {
    afterPosition?: number;
    maxCount?: number;
    streamPrefixes?: string[];
  }): Promise<LogEntry[]>;
  readAllCanonical?(options: {
    afterPosition?: number;
    maxCount?: number;
    streamPrefixes?: string[];
  }): Promise<CanonicalLogEntry[]>;
  /** Events under `reprise-leaf/1` without their content (for trees only, never for verifying). */
  readAllLeaves?(options: { afterPosition?: number; maxCount?: number }): Promise<CanonicalLogEntry[]>;
}

/**
 * A log's events in global order, page by page as the store reads them (canonical text when the
 * store keeps it), up to `until`. A page is handed over whole: a caller going through a million
 * events pays one await per page, not one per event.
 */
export async function* readLogPages(
  source: LogSource,
  streamPrefixes: string[],
  options: { pageSize?: number; until?: number } = {},
): AsyncGenerator<Array<LogEntry | CanonicalLogEntry>> {
  const pageSize = options.pageSize ?? 2000;
  const until = options.until ?? Number.MAX_SAFE_INTEGER;
  for (let after = 0; ;) {
    const query = { afterPosition: after, maxCount: pageSize, streamPrefixes };
    const page = source.readAllCanonical ? await source.readAllCanonical(query) : await source.readAll(query);
    const last = page.length ? page[page.length - 1].position : 0;
    if (last > until) {
      const within = page.filter((entry) => entry.position <= until);
      if (within.length) yield within;
      return;
    }
    if (page.length) yield page;
    if (page.length < pageSize) return;
    after = last;
  }
}

/** The same events one by one. */
export async function* readLog(
  source: LogSource,
  streamPrefixes: string[],
  options: { pageSize?: number; until?: number } = {},
): AsyncGenerator<LogEntry | CanonicalLogEntry> {
  for await (const page of readLogPages(source, streamPrefixes, options)) yield* page;
}
