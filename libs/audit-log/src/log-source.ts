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
}

/** A log's events in global order, page by page (canonical text when the store keeps it), up to `until`. */
export async function* readLog(
  source: LogSource,
  streamPrefixes: string[],
  options: { pageSize?: number; until?: number } = {},
): AsyncGenerator<LogEntry | CanonicalLogEntry> {
  const pageSize = options.pageSize ?? 5000;
  const until = options.until ?? Number.MAX_SAFE_INTEGER;
  for (let after = 0; ;) {
    const query = { afterPosition: after, maxCount: pageSize, streamPrefixes };
    const page = source.readAllCanonical ? await source.readAllCanonical(query) : await source.readAll(query);
    for (const entry of page) {
      if (entry.position > until) return;
      yield entry;
    }
    if (page.length < pageSize) return;
    after = page[page.length - 1].position;
  }
}
