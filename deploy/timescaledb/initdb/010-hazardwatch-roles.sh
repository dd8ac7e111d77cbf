#!/bin/sh
# First start of the timescaledb container only (docker-entrypoint-initdb.d runs on an
# empty data volume): the read-only role Grafana logs in with.
#
#   hw_dashboards   NOLOGIN; migration 0006 grants it SELECT on the stable views v_*, and
#                   nothing else (views read the tables with their owner's rights)
#   $GRAFANA_DB_USER  LOGIN, member of hw_dashboards, read-only transactions, 30 s statement cap
#
# On an existing volume, run the same statements by hand (docs/deployment.md).
set -eu
: "${GRAFANA_DB_PASSWORD:?GRAFANA_DB_PASSWORD must be set}"
GRAFANA_DB_USER="${GRAFANA_DB_USER:-grafana_reader}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v reader="$GRAFANA_DB_USER" -v reader_password="$GRAFANA_DB_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE hw_dashboards NOLOGIN;
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password' IN ROLE hw_dashboards;
ALTER ROLE :"reader" SET default_transaction_read_only = on;
ALTER ROLE :"reader" SET statement_timeout = '30s';
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO hw_dashboards;
SQL
