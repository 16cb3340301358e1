-- New event payloads are compressed with lz4 instead of pglz. Each event is stored twice
-- (the exact text and its jsonb copy), both over the 2 kB TOAST threshold for most Flexport
-- events, so compressing them was much of PostgreSQL's CPU per inserted row: with 8 kB
-- events, about 500 µs of the backend's CPU per row with pglz, about 300 µs with lz4. lz4 also
-- decompresses faster for the dashboard's reads. Rows already stored keep pglz; both read
-- the same. Only a catalog change: nothing is rewritten.
--
-- lz4 needs PostgreSQL 14 or later built with it (the usual packages are); any other server
-- keeps pglz, so the same migration applies everywhere. EXECUTE keeps PostgreSQL 13 from
-- parsing the syntax it does not know.
DO $$
BEGIN
  IF current_setting('server_version_num')::integer >= 140000 THEN
    EXECUTE 'ALTER TABLE flexport_events ALTER COLUMN payload SET COMPRESSION lz4, '
            'ALTER COLUMN payload_json SET COMPRESSION lz4';
  END IF;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END;
$$;
