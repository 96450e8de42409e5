-- Creates the application's own role and database next to Temporal's.
--
-- Run once by the postgres image's entrypoint (/docker-entrypoint-initdb.d),
-- as the superuser (POSTGRES_USER, here "temporal"), and only while the data
-- directory is empty: changing this file or HOTLINE_DB_PASSWORD later does not
-- touch an existing volume (ALTER ROLE hotline PASSWORD '...' by hand then).
--
-- Temporal's databases (temporal, temporal_visibility) are created by the
-- temporalio/auto-setup container, not here.
--
-- The password comes from the container's HOTLINE_DB_PASSWORD (psql >= 15
-- \getenv), so it is never written into the repository.

\set ON_ERROR_STOP on

\getenv hotline_password HOTLINE_DB_PASSWORD
\if :{?hotline_password}
\else
  -- Fail the init (psql exits non-zero under ON_ERROR_STOP) rather than
  -- create a role without a password.
  DO $$ BEGIN RAISE EXCEPTION 'HOTLINE_DB_PASSWORD is not set in the postgresql container'; END $$;
\endif

CREATE ROLE hotline LOGIN PASSWORD :'hotline_password';

CREATE DATABASE hotline OWNER hotline ENCODING 'UTF8' TEMPLATE template0;

-- Only the owner (and superusers) may connect to the app database.
REVOKE ALL ON DATABASE hotline FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE hotline TO hotline;
