-- Registry change notifications: any committed change to the tables that make up a point's
-- registry text or its scope (enterprise, hazard source, device, measuring point) sends
-- `NOTIFY hw_registry_changed, '<table>'`, delivered at commit (and once per transaction and
-- table: PostgreSQL folds identical notifications). Readers that keep registry-derived answers
-- (the API's latest-values registry part) drop them on a notification instead of asking the
-- database on every request whether anything changed.
CREATE OR REPLACE FUNCTION hw_notify_registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('hw_registry_changed', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['enterprises', 'hazard_sources', 'devices', 'measuring_points'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS hw_registry_changed ON %I', t);
    EXECUTE format('CREATE TRIGGER hw_registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                      FOR EACH STATEMENT EXECUTE FUNCTION hw_notify_registry_changed()', t);
  END LOOP;
END
$$;
