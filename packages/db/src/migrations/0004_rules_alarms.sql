-- Rules are data: every change is a new immutable version; `rules` points at the live one.
CREATE TABLE IF NOT EXISTS rules (
  id                text PRIMARY KEY,
  enterprise_id     text NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
  hazard_source_id  text REFERENCES hazard_sources (id) ON DELETE CASCADE,
  vehicle_id        text REFERENCES vehicles (id) ON DELETE CASCADE,
  kind              text NOT NULL,
  name              text NOT NULL,
  enabled           boolean NOT NULL DEFAULT true,
  current_version   integer NOT NULL CHECK (current_version >= 1),
  -- The evaluation partition key (`source:{id}` / `vehicle:{id}`): which worker partition owns the rule.
  partition_key     text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS rules_enterprise_idx ON rules (enterprise_id);
CREATE INDEX IF NOT EXISTS rules_partition_key_idx ON rules (partition_key);

CREATE TABLE IF NOT EXISTS rule_versions (
  rule_id      text NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
  version      integer NOT NULL CHECK (version >= 1),
  document     jsonb NOT NULL,
  changed_by   text NOT NULL,
  changed_at   timestamptz NOT NULL DEFAULT now(),
  change_note  text,
  PRIMARY KEY (rule_id, version)
);

-- One row per alarm: its current ISA-18.2 state. At most one open alarm per (rule, subject).
CREATE TABLE IF NOT EXISTS alarms (
  id                  text PRIMARY KEY,
  rule_id             text,
  subject             text NOT NULL,
  enterprise_id       text NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
  hazard_source_id    text,
  vehicle_id          text,
  category            text NOT NULL,
  state               text NOT NULL,
  condition_active    boolean NOT NULL,
  latching            boolean NOT NULL DEFAULT false,
  colour              text NOT NULL CHECK (colour IN ('red', 'orange', 'yellow', 'blue')),
  level               text,
  value               double precision,
  message             text NOT NULL DEFAULT '',
  raised_at           timestamptz NOT NULL,
  acknowledged_at     timestamptz,
  -- When the alarm last started waiting for an acknowledgement (escalation clocks run from it).
  unacknowledged_since timestamptz,
  acknowledged_by     text,
  cleared_at          timestamptz,
  shelved_until       timestamptz,
  out_of_service_by   text,
  out_of_service_reason text,
  -- Optimistic concurrency: every change bumps it; an update names the version it read.
  version             integer NOT NULL DEFAULT 1,
  -- Open until it has returned to normal and been acknowledged (or reset); closed alarms are history.
  open                boolean NOT NULL DEFAULT true,
  closed_at           timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS alarms_one_open_idx ON alarms (rule_id, subject) WHERE open;
CREATE INDEX IF NOT EXISTS alarms_enterprise_open_idx ON alarms (enterprise_id, open, raised_at DESC);

-- Append-only audit trail of every alarm: engine transitions and people's actions.
CREATE TABLE IF NOT EXISTS alarm_events (
  seq               bigserial PRIMARY KEY,
  -- Engine transitions carry their deterministic transition id: storing one twice is a no-op.
  id                text NOT NULL UNIQUE,
  -- No cascade: an alarm with history cannot be deleted (the audit trail outlives registry edits).
  alarm_id          text NOT NULL REFERENCES alarms (id),
  type              text NOT NULL,
  at                timestamptz NOT NULL,
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  actor             text NOT NULL,
  enterprise_id     text NOT NULL,
  region_code       text NOT NULL,
  hazard_source_id  text,
  vehicle_id        text,
  rule_id           text,
  subject           text NOT NULL,
  category          text NOT NULL,
  colour            text,
  level             text,
  state_before      text,
  state_after       text NOT NULL,
  value             double precision,
  reason            text,
  message           text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS alarm_events_enterprise_at_idx ON alarm_events (enterprise_id, at);
CREATE INDEX IF NOT EXISTS alarm_events_region_idx ON alarm_events (region_code text_pattern_ops, seq);
CREATE INDEX IF NOT EXISTS alarm_events_alarm_idx ON alarm_events (alarm_id, seq);

CREATE OR REPLACE FUNCTION hw_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'alarm_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$fn$;
DROP TRIGGER IF EXISTS alarm_events_append_only ON alarm_events;
CREATE TRIGGER alarm_events_append_only BEFORE UPDATE OR DELETE ON alarm_events
  FOR EACH ROW EXECUTE FUNCTION hw_forbid_change();
