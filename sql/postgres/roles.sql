-- portcall's least-privilege roles (see docs/postgres.md). Run once, as a superuser or the
-- database owner, e.g. psql "$ADMIN_URL" -f sql/postgres/roles.sql; then give each role a
-- password with psql's \password, which keeps it out of files and logs.
-- portcall_owner owns the schema and runs `portcall migrate`; portcall_app runs serve and the
-- read commands: it reads and writes rows, and cannot create or alter tables.
CREATE ROLE portcall_owner LOGIN;
CREATE ROLE portcall_app LOGIN;
CREATE SCHEMA portcall AUTHORIZATION portcall_owner;
GRANT USAGE ON SCHEMA portcall TO portcall_app;
-- Tables, views, sequences and functions the owner's migrations create get these grants.
ALTER DEFAULT PRIVILEGES FOR ROLE portcall_owner IN SCHEMA portcall
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO portcall_app;
ALTER DEFAULT PRIVILEGES FOR ROLE portcall_owner IN SCHEMA portcall
  GRANT USAGE, SELECT ON SEQUENCES TO portcall_app;
ALTER DEFAULT PRIVILEGES FOR ROLE portcall_owner IN SCHEMA portcall
  GRANT EXECUTE ON FUNCTIONS TO portcall_app;
