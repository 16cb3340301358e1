-- Every authenticated, well-formed Flexport event, once per id, with the exact bytes received.
CREATE TABLE flexport_events (
  id               TEXT PRIMARY KEY,            -- Flexport's event id, exact decimal text
  type             TEXT NOT NULL,               -- e.g. /shipment_leg#departed
  occurred_at      TEXT,                        -- ISO-8601 UTC, when the milestone happened
  created_at       TEXT,                        -- ISO-8601 UTC, when Flexport recorded it
  received_at      TEXT NOT NULL,               -- first delivery
  last_received_at TEXT NOT NULL,               -- latest delivery
  deliveries       INTEGER NOT NULL DEFAULT 1,  -- how many times it reached us
  signature_alg    TEXT CHECK (signature_alg IN ('sha256', 'sha1')), -- NULL when backfilled
  payload          TEXT NOT NULL,               -- the body exactly as received
  payload_sha256   TEXT NOT NULL,               -- hex SHA-256 of payload
  source           TEXT NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'backfill', 'replay'))
);

CREATE INDEX flexport_events_type_occurred_at ON flexport_events (type, occurred_at);
CREATE INDEX flexport_events_occurred_at ON flexport_events (occurred_at);
CREATE INDEX flexport_events_received_at ON flexport_events (received_at);

-- Authenticated bodies that could not be stored as events, so nothing signed is ever lost.
-- One row per distinct body; a body delivered again is counted, not stored again.
CREATE TABLE flexport_rejects (
  payload_sha256   TEXT PRIMARY KEY,
  reason           TEXT NOT NULL CHECK (reason IN ('invalid_json', 'invalid_event', 'id_conflict')),
  detail           TEXT NOT NULL,               -- what is wrong, in words
  event_id         TEXT,                        -- for id_conflict: the id it collided with
  signature_alg    TEXT,
  received_at      TEXT NOT NULL,
  last_received_at TEXT NOT NULL,
  deliveries       INTEGER NOT NULL DEFAULT 1,
  payload          BLOB NOT NULL                -- exact bytes; may not be valid UTF-8
);

CREATE INDEX flexport_rejects_received_at ON flexport_rejects (received_at);
