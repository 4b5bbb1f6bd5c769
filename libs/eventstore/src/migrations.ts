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
CREATE TABLE ${s}.streams (
  stream_id text PRIMARY KEY,
  version   bigint NOT NULL
);

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

-- One round trip per append. p_expected: -1 = any version, 0 = stream must not exist, n = exact.
-- FW409: version conflict (DETAIL = actual version); FW412: an event id is already stored.
CREATE FUNCTION ${s}.append_events(
  p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_versions int[],
  p_data jsonb[], p_metadata jsonb[]
) RETURNS TABLE (o_event_id uuid, o_stream_version bigint, o_global_position bigint, o_transaction_id text)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_n int := cardinality(p_ids);
  v_new bigint;
  v_inserted int;
BEGIN
  IF p_expected = -1 THEN
    INSERT INTO ${s}.streams AS st (stream_id, version) VALUES (p_stream, v_n)
      ON CONFLICT (stream_id) DO UPDATE SET version = st.version + v_n
      RETURNING st.version INTO v_new;
  ELSIF p_expected = 0 THEN
    INSERT INTO ${s}.streams (stream_id, version) VALUES (p_stream, v_n)
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING version INTO v_new;
  ELSE
    UPDATE ${s}.streams SET version = version + v_n
      WHERE stream_id = p_stream AND version = p_expected
      RETURNING version INTO v_new;
  END IF;

  IF v_new IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'FW409', MESSAGE = 'stream version conflict',
      DETAIL = coalesce((SELECT version FROM ${s}.streams WHERE stream_id = p_stream), 0)::text;
  END IF;

  RETURN QUERY
    INSERT INTO ${s}.events (event_id, stream_id, stream_version, category, type, schema_version, data, metadata)
    SELECT u.id, p_stream, v_new - v_n + u.ord, split_part(p_stream, '-', 1), u.t, u.sv, u.d, u.m
      FROM unnest(p_ids, p_types, p_versions, p_data, p_metadata) WITH ORDINALITY AS u(id, t, sv, d, m, ord)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, stream_version, global_position, transaction_id::text;
  GET DIAGNOSTICS v_inserted = ROW_COUNT;
  IF v_inserted <> v_n THEN
    RAISE EXCEPTION USING ERRCODE = 'FW412', MESSAGE = 'event id already stored';
  END IF;
END
$fn$;
`,
  },
];
