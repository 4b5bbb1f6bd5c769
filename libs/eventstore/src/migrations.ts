/** One versioned change of the event store's schema. `sql` receives the quoted schema name. */
export interface Migration {
  version: number;
  name: string;
  sql(schema: string): string;
}

/**
 * The event store's schema, in order. Never edit an applied migration: add a new one.
 *
 * Reading order is `(transaction_id, global_position)`, and readers only see transactions
 * older than the oldest one still running (`pg_snapshot_xmin`): a transaction that commits
 * late is waited for, never passed over.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, streams, checkpoints, append function',
    sql: (s) => `
CREATE TABLE ${s}.events (
  global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id        uuid NOT NULL UNIQUE,
  stream_id       text NOT NULL,
  stream_version  bigint NOT NULL,
  category        text NOT NULL,
  type            text NOT NULL,
  schema_version  int NOT NULL,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_read_order ON ${s}.events (transaction_id, global_position);
CREATE INDEX events_category_order ON ${s}.events (category, transaction_id, global_position);

CREATE TABLE ${s}.checkpoints (
  name            text PRIMARY KEY,
  transaction_id  xid8 NOT NULL,
  global_position bigint NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The same for one event (the common case): scalar parameters, no arrays to build or unnest,
-- and a scalar result (a set-returning function costs a quarter of the rate on PGlite).
-- Returns {global_position, stream_version}, or {NULL, NULL} for a stale version; an event id or
-- version already stored raises unique_violation (no ON CONFLICT: speculative insertion costs).
CREATE FUNCTION ${s}.append_event(
  p_stream text, p_expected bigint, p_id uuid, p_type text, p_version int, p_data jsonb, p_metadata jsonb
) RETURNS bigint[]
LANGUAGE plpgsql AS $fn$
DECLARE
  v_position bigint;
  v_version bigint;
BEGIN
  INSERT INTO ${s}.events (event_id, stream_id, stream_version, category, type, schema_version, data, metadata)
  SELECT p_id, p_stream, cur.v + 1, split_part(p_stream, '-', 1), p_type, p_version, p_data, p_metadata
    FROM (SELECT coalesce(max(stream_version), 0) AS v FROM ${s}.events WHERE stream_id = p_stream) cur
   WHERE p_expected < 0 OR cur.v = p_expected
  RETURNING global_position, stream_version INTO v_position, v_version;
  RETURN ARRAY[v_position, v_version];
END
$fn$;

-- One round trip per append: the version check is inside the INSERT ... SELECT, and the unique
-- (stream_id, stream_version) and event_id indexes settle races. p_expected: -1 = any version,
-- 0 = stream must not exist, n = exact. Raises FW409 (version conflict, DETAIL = actual version)
-- or FW412 (an event id is already stored); the statement then writes nothing.
CREATE FUNCTION ${s}.append_events(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_versions int[],
  p_data jsonb[], p_metadata jsonb[]
) RETURNS TABLE (o_event_id uuid, o_stream_version bigint, o_global_position bigint, o_transaction_id text)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_n int := cardinality(p_ids);
  v_current bigint;
  v_inserted int;
BEGIN
  SELECT coalesce(max(stream_version), 0) INTO v_current FROM ${s}.events WHERE stream_id = p_stream;
  IF p_expected >= 0 AND v_current <> p_expected THEN
    IF EXISTS (SELECT 1 FROM ${s}.events WHERE event_id = ANY(p_ids)) THEN
      RAISE EXCEPTION USING ERRCODE = 'FW412', MESSAGE = 'event id already stored';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'FW409', MESSAGE = 'stream version conflict', DETAIL = v_current::text;
  END IF;

  RETURN QUERY
    INSERT INTO ${s}.events (event_id, stream_id, stream_version, category, type, schema_version, data, metadata)
    SELECT u.id, p_stream, v_current + u.ord, split_part(p_stream, '-', 1), u.t, u.sv, u.d, u.m
      FROM unnest(p_ids, p_types, p_versions, p_data, p_metadata) WITH ORDINALITY AS u(id, t, sv, d, m, ord)
    ON CONFLICT DO NOTHING
    RETURNING event_id, stream_version, global_position, transaction_id::text;
  GET DIAGNOSTICS v_inserted = ROW_COUNT;
  IF v_inserted <> v_n THEN
    IF EXISTS (SELECT 1 FROM ${s}.events WHERE event_id = ANY(p_ids) AND transaction_id <> pg_current_xact_id()) THEN
      RAISE EXCEPTION USING ERRCODE = 'FW412', MESSAGE = 'event id already stored';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'FW409', MESSAGE = 'stream version conflict',
      DETAIL = (SELECT coalesce(max(stream_version), 0) FROM ${s}.events WHERE stream_id = p_stream)::text;
  END IF;
END
$fn$;
`,
  },
];
