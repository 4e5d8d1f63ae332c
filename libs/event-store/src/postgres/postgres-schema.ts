/**
 * The PostgreSQL event store's tables and its one append function, in one schema per store
 * (`POSTGRES_SCHEMA`, default `reprise`; tests use one schema per run).
 *
 * Global order without gaps: every append runs `append_events`, which locks the single `log_head` row
 * until its transaction commits, takes the next positions from it, and writes. Positions are therefore
 * handed out AND made visible in commit order (PostgreSQL makes a transaction visible before it
 * releases its locks), so any snapshot sees a prefix of the log: a reader that has seen position p has
 * seen everything below p, and a checkpoint is a single number. The lock is held only for one
 * server-side statement and its commit (no client round trip inside it), and a whole group commit of
 * appends shares one acquisition.
 */

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema))
    throw new Error(`invalid PostgreSQL schema name "${schema}" (lower-case letters, digits and _)`);
}

/** NOTIFY channel woken after each commit that wrote events (payload: the new head position). */
export const notifyChannel = (schema: string) => `reprise_events_${schema}`;

export function migrationSql(schema: string): string {
  const s = `"${schema}"`;
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};

    CREATE TABLE IF NOT EXISTS ${s}.events (
      position  bigint  PRIMARY KEY,
      id        uuid    NOT NULL UNIQUE,
      stream    text    NOT NULL,
      revision  integer NOT NULL,
      type      text    NOT NULL,
      data      text    NOT NULL,
      metadata  text    NOT NULL,
      prev_hash text    NOT NULL,
      hash      text    NOT NULL,
      hash_rule text,
      UNIQUE (stream, revision)
    );
    -- A schema written before the audit log: its rows are per-stream chain hashes (reprise-chain/0);
    -- rows written from now on record their leaf hash (hash_rule NULL: reprise-leaf/1). Altered only
    -- when the column is missing: ALTER TABLE would queue every reader behind a running append.
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_schema = '${schema}' AND table_name = 'events' AND column_name = 'hash_rule') THEN
        ALTER TABLE ${s}.events ADD COLUMN hash_rule text DEFAULT 'reprise-chain/0';
        ALTER TABLE ${s}.events ALTER COLUMN hash_rule DROP DEFAULT;
      END IF;
    END $$;

    CREATE TABLE IF NOT EXISTS ${s}.log_head (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      position  bigint  NOT NULL
    );
    INSERT INTO ${s}.log_head (singleton, position) VALUES (true, 0) ON CONFLICT DO NOTHING;

    CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
      subscriber text        PRIMARY KEY,
      position   bigint      NOT NULL,
      updated_at timestamptz NOT NULL
    );

    -- One group commit. p_check_*: the head revision the caller assumed for each stream it writes (or
    -- decided a conflict against), and whether it writes that stream. A stream whose real head differs
    -- is "stale": none of its events are written and its real head is returned, so the caller re-decides
    -- and re-chains it. The other streams' events are written with consecutive positions after the log
    -- head. Events of an append usually share their metadata: each distinct metadata text is sent once
    -- (p_metadata), and every event names its own by index.
    CREATE OR REPLACE FUNCTION ${s}.append_events(
      p_check_streams text[], p_check_revisions integer[], p_check_written boolean[],
      p_streams text[], p_revisions integer[], p_ids uuid[], p_types text[],
      p_data text[], p_metadata_index integer[], p_prev_hashes text[], p_hashes text[], p_metadata text[]
    ) RETURNS TABLE (first_position bigint, stale_streams text[], stale_revisions integer[], stale_hashes text[])
    LANGUAGE plpgsql AS $fn$
    #variable_conflict use_column
    DECLARE
      v_head  bigint;
      v_count bigint := 0;
      v_fast  boolean := true;
    BEGIN
      IF cardinality(p_ids) > 0 THEN
        -- Held until commit: the next writer waits here, then sees this commit.
        SELECT h.position INTO v_head FROM ${s}.log_head h FOR UPDATE;
        -- Usually every assumed head is right, and the unique (stream, revision) index proves it: a
        -- stream whose real head is past the assumed one (heads only grow) already holds the first
        -- revision written here. Only then are the heads looked up one by one.
        BEGIN
          INSERT INTO ${s}.events (position, id, stream, revision, type, data, metadata, prev_hash, hash)
          SELECT v_head + x.ord, x.id, x.stream, x.revision, x.type, x.data, p_metadata[x.metadata_index],
                 x.prev_hash, x.hash
            FROM unnest(p_streams, p_revisions, p_ids, p_types, p_data, p_metadata_index, p_prev_hashes, p_hashes)
                 WITH ORDINALITY AS x(stream, revision, id, type, data, metadata_index, prev_hash, hash, ord);
          GET DIAGNOSTICS v_count = ROW_COUNT;
        EXCEPTION WHEN unique_violation THEN
          v_fast := false;
        END;
      END IF;
      SELECT coalesce(array_agg(c.stream), '{}'), coalesce(array_agg(coalesce(h.revision, -1)), '{}'),
             coalesce(array_agg(coalesce(h.hash, '')), '{}')
        INTO stale_streams, stale_revisions, stale_hashes
        FROM unnest(p_check_streams, p_check_revisions, p_check_written) AS c(stream, revision, written)
        LEFT JOIN LATERAL (
          SELECT e.revision, e.hash FROM ${s}.events e WHERE e.stream = c.stream ORDER BY e.revision DESC LIMIT 1
        ) h ON true
       WHERE (NOT v_fast OR NOT c.written) AND coalesce(h.revision, -1) <> c.revision;
      IF NOT v_fast THEN
        INSERT INTO ${s}.events (position, id, stream, revision, type, data, metadata, prev_hash, hash)
        SELECT v_head + row_number() OVER (ORDER BY x.ord), x.id, x.stream, x.revision, x.type, x.data,
               p_metadata[x.metadata_index], x.prev_hash, x.hash
          FROM unnest(p_streams, p_revisions, p_ids, p_types, p_data, p_metadata_index, p_prev_hashes, p_hashes)
               WITH ORDINALITY AS x(stream, revision, id, type, data, metadata_index, prev_hash, hash, ord)
         WHERE x.stream <> ALL (stale_streams);
        GET DIAGNOSTICS v_count = ROW_COUNT;
      END IF;
      IF v_count > 0 THEN
        UPDATE ${s}.log_head SET position = v_head + v_count;
        PERFORM pg_notify('${notifyChannel(schema)}', (v_head + v_count)::text);
      END IF;
      first_position := coalesce(v_head, 0) + 1;
      RETURN NEXT;
    END
    $fn$;
  `;
}
