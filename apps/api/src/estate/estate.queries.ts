/** Moved to libs/event-store so the worker can use the same queries; kept for existing importers. */
export * from '@reprise/event-store/queries/estate.queries';
