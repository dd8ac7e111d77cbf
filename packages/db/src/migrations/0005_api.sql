-- What the HTTP API needs: API keys, broker credentials of devices and vehicle
-- terminals, and the risk colour history of hazard sources.

-- API keys. The key itself is never stored: only its SHA-256 (a key is 256 random
-- bits, so a fast hash is enough: nobody can brute-force the preimage). `id` is the
-- public part of the key (its prefix), used to find the row without scanning hashes.
CREATE TABLE IF NOT EXISTS api_keys (
  id             text PRIMARY KEY,
  key_hash       bytea NOT NULL,
  name           text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin', 'enterprise_manager', 'operator', 'regulator', 'integrator')),
  enterprise_id  text REFERENCES enterprises (id) ON DELETE CASCADE,
  region_prefix  text CHECK (region_prefix ~ '^([0-9]{2}|[0-9]{4}|[0-9]{6})$'),
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz,
  revoked_at     timestamptz,
  revoked_by     text,
  last_used_at   timestamptz,
  -- The key `ensureAdminKey` creates on first start; at most one ever exists.
  bootstrap      boolean NOT NULL DEFAULT false,
  -- The scope is part of the role: enterprise roles name one enterprise, a regulator a region prefix, admin neither.
  CHECK (
    (role = 'admin' AND enterprise_id IS NULL AND region_prefix IS NULL)
    OR (role IN ('enterprise_manager', 'operator', 'integrator') AND enterprise_id IS NOT NULL AND region_prefix IS NULL)
    OR (role = 'regulator' AND enterprise_id IS NULL AND region_prefix IS NOT NULL)
  )
);
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_one_bootstrap_idx ON api_keys (bootstrap) WHERE bootstrap;
CREATE INDEX IF NOT EXISTS api_keys_enterprise_idx ON api_keys (enterprise_id);

-- Broker credentials (production Mosquitto/EMQX): one per device or vehicle terminal.
-- `password_hash` is in Mosquitto's password-file format ($7$ = PBKDF2-HMAC-SHA512),
-- so `username:password_hash` lines are a valid `password_file`.
CREATE TABLE IF NOT EXISTS mqtt_credentials (
  username       text PRIMARY KEY,
  enterprise_id  text NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
  device_id      text UNIQUE REFERENCES devices (id) ON DELETE CASCADE,
  vehicle_id     text UNIQUE REFERENCES vehicles (id) ON DELETE CASCADE,
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  rotated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((device_id IS NULL) <> (vehicle_id IS NULL))
);
CREATE INDEX IF NOT EXISTS mqtt_credentials_enterprise_idx ON mqtt_credentials (enterprise_id);

-- Risk colour of a hazard source (红/橙/黄/蓝, 重大/较大/一般/低风险), append-only:
-- the newest row is the current colour, the rest is its history.
CREATE TABLE IF NOT EXISTS hazard_source_risk (
  id                bigserial PRIMARY KEY,
  hazard_source_id  text NOT NULL REFERENCES hazard_sources (id) ON DELETE CASCADE,
  colour            text NOT NULL CHECK (colour IN ('red', 'orange', 'yellow', 'blue')),
  reason            text NOT NULL DEFAULT '',
  set_by            text NOT NULL,
  set_at            timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS hazard_source_risk_source_idx ON hazard_source_risk (hazard_source_id, id DESC);

-- Registry lists are paged per enterprise; geofences had no such index yet.
CREATE INDEX IF NOT EXISTS geofences_enterprise_idx ON geofences (enterprise_id);
