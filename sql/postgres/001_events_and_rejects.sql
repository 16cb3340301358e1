-- Runs with search_path set to the installation's schema (PORTCALL_DB_SCHEMA).

-- JSON that PostgreSQL's jsonb cannot hold (a \u0000 escape) must never make an event
-- unstorable: the exact text is what we keep, the jsonb copy is only for querying.
CREATE FUNCTION portcall_try_jsonb(body text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN body::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END;
$$;

-- Every authenticated, well-formed Flexport event, once per id, with the exact bytes received.
CREATE TABLE flexport_events (
  id               text PRIMARY KEY,             -- Flexport's event id, exact decimal text
  type             text NOT NULL,                -- e.g. /shipment_leg#departed
  occurred_at      timestamptz,                  -- when the milestone happened
  created_at       timestamptz,                  -- when Flexport recorded it
  received_at      timestamptz NOT NULL,         -- first delivery
  last_received_at timestamptz NOT NULL,         -- latest delivery
  deliveries       integer NOT NULL DEFAULT 1,   -- how many times it reached us
  signature_alg    text CHECK (signature_alg IN ('sha256', 'sha1')), -- NULL when backfilled
  payload          text NOT NULL,                -- the body exactly as received
  payload_sha256   text NOT NULL,                -- hex SHA-256 of payload
  source           text NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'backfill', 'replay')),
  payload_json     jsonb GENERATED ALWAYS AS (portcall_try_jsonb(payload)) STORED
);

CREATE INDEX flexport_events_type_occurred_at ON flexport_events (type, occurred_at);
CREATE INDEX flexport_events_occurred_at ON flexport_events (occurred_at);
CREATE INDEX flexport_events_received_at ON flexport_events (received_at);
CREATE INDEX flexport_events_shipment_id ON flexport_events ((payload_json -> 'data' -> 'shipment' ->> 'id'));

-- Authenticated bodies that could not be stored as events, so nothing signed is ever lost.
CREATE TABLE flexport_rejects (
  payload_sha256   text PRIMARY KEY,
  reason           text NOT NULL CHECK (reason IN ('invalid_json', 'invalid_event', 'id_conflict')),
  detail           text NOT NULL,
  event_id         text,
  signature_alg    text,
  received_at      timestamptz NOT NULL,
  last_received_at timestamptz NOT NULL,
  deliveries       integer NOT NULL DEFAULT 1,
  payload          bytea NOT NULL                -- exact bytes; may not be valid UTF-8
);

CREATE INDEX flexport_rejects_received_at ON flexport_rejects (received_at);
