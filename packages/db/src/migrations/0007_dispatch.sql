-- Dispatch: webhook targets, one delivery per (event, target) with every attempt,
-- dead letters, escalation timers, enterprise offline state, and the events dispatch
-- produces itself (enterprise offline/online; escalations go to the alarm store).

-- Where alarm events go. The signing secret is needed in clear to sign (HMAC), so it
-- cannot be hashed: it is sealed with AES-256-GCM under DISPATCH_SECRET_KEY when one is
-- configured (`secret_key_id` names the key), stored as-is under key id 'plain' otherwise.
-- Only dispatch's delivery query reads `secret_sealed`; no list/get query selects it.
CREATE TABLE IF NOT EXISTS dispatch_targets (
  id                   text PRIMARY KEY,
  name                 text NOT NULL,
  url                  text NOT NULL,
  allow_insecure_http  boolean NOT NULL DEFAULT false,
  -- Scope: one enterprise (its control room) or a GB/T 2260 prefix (a regulator).
  scope_enterprise_id  text REFERENCES enterprises (id) ON DELETE CASCADE,
  scope_region_prefix  text CHECK (scope_region_prefix ~ '^([0-9]{2}|[0-9]{4}|[0-9]{6})$'),
  min_colour           text NOT NULL DEFAULT 'blue' CHECK (min_colour IN ('red', 'orange', 'yellow', 'blue')),
  event_types          text[] NOT NULL CHECK (cardinality(event_types) >= 1),
  enabled              boolean NOT NULL DEFAULT true,
  secret_key_id        text NOT NULL,
  secret_sealed        bytea NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  -- Soft delete: the delivery history of a removed target stays readable.
  deleted_at           timestamptz,
  CHECK ((scope_enterprise_id IS NULL) <> (scope_region_prefix IS NULL))
);
CREATE INDEX IF NOT EXISTS dispatch_targets_enterprise_idx ON dispatch_targets (scope_enterprise_id) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS dispatch_targets_region_idx ON dispatch_targets (scope_region_prefix text_pattern_ops) WHERE deleted_at IS NULL;

-- Events dispatch produces itself: `enterprise_offline`, `enterprise_online` (they change
-- no alarm, so they are not in alarm_events, whose rows need one). Same columns as
-- alarm_events, and `seq` drawn from alarm_events' own sequence under the alarm store's
-- event-order lock, so one seq orders both (webhook `seq`, the live stream's
-- Last-Event-ID). Their `alarm_id` is a pseudo id `enterprise-offline/<enterprise id>`.
CREATE TABLE IF NOT EXISTS dispatch_events (
  seq               bigint PRIMARY KEY DEFAULT nextval(pg_get_serial_sequence('alarm_events', 'seq')::regclass),
  id                text NOT NULL UNIQUE,
  alarm_id          text NOT NULL,
  type              text NOT NULL CHECK (type IN ('enterprise_offline', 'enterprise_online')),
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
CREATE INDEX IF NOT EXISTS dispatch_events_region_idx ON dispatch_events (region_code text_pattern_ops, seq);
CREATE INDEX IF NOT EXISTS dispatch_events_enterprise_idx ON dispatch_events (enterprise_id, seq);
CREATE INDEX IF NOT EXISTS dispatch_events_alarm_idx ON dispatch_events (alarm_id, seq);

-- What an `escalated` event (appended to alarm_events through the alarm store) tells whom.
CREATE TABLE IF NOT EXISTS escalation_notices (
  event_id    text PRIMARY KEY,
  alarm_id    text NOT NULL,
  tier        text NOT NULL,
  stage       integer NOT NULL,
  reminder    integer NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('escalation', 'reminder')),
  -- Tiers whose targets get this event: the step's tier, plus any tier a dispatcher
  -- that was down never told (escalation.ts `tiers`).
  tell_tiers  text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Which events have been turned into deliveries (the fan-out's idempotency and the
-- sweeper's view of events whose job was lost).
CREATE TABLE IF NOT EXISTS dispatch_fanouts (
  event_id       text PRIMARY KEY,
  event_seq      bigint NOT NULL,
  alarm_id       text NOT NULL,
  deliveries     integer NOT NULL,
  fanned_out_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dispatch_fanouts_alarm_idx ON dispatch_fanouts (alarm_id, event_seq);

-- One delivery per (event, target); `body` is serialised once and sent byte for byte on
-- every attempt and replay. `chain` counts attempt chains: a replay starts a new one.
CREATE TABLE IF NOT EXISTS deliveries (
  id               bigserial PRIMARY KEY,
  event_id         text NOT NULL,
  target_id        text NOT NULL REFERENCES dispatch_targets (id) ON DELETE CASCADE,
  event_seq        bigint NOT NULL,
  event_type       text NOT NULL,
  alarm_id         text NOT NULL,
  enterprise_id    text NOT NULL,
  region_code      text NOT NULL,
  body             text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  chain            integer NOT NULL DEFAULT 1,
  chain_attempts   integer NOT NULL DEFAULT 0,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  last_status      integer,
  last_error       text,
  delivered_at     timestamptz,
  dead_at          timestamptz,
  dead_reason      text CHECK (dead_reason IN ('not_retryable', 'attempts_exhausted', 'target_disabled')),
  replayed_at      timestamptz,
  replayed_by      text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, target_id)
);
-- Ordering: the earlier pending deliveries of one alarm to one target.
CREATE INDEX IF NOT EXISTS deliveries_order_idx ON deliveries (alarm_id, target_id, event_seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_dead_idx ON deliveries (dead_at DESC, id DESC) WHERE status = 'dead';
CREATE INDEX IF NOT EXISTS deliveries_target_idx ON deliveries (target_id, id DESC);

CREATE TABLE IF NOT EXISTS delivery_attempts (
  id           bigserial PRIMARY KEY,
  delivery_id  bigint NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  chain        integer NOT NULL,
  attempt      integer NOT NULL,
  started_at   timestamptz NOT NULL,
  latency_ms   integer NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('delivered', 'http_error', 'timeout', 'network_error')),
  status_code  integer,
  error        text,
  -- What followed: a retry at `retry_at`, or the dead-letter state.
  retry_at     timestamptz,
  dead         boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, id);

-- Escalation timer of each alarm that may await an acknowledgement. Due rows are polled
-- and leased (a replica claims them with SKIP LOCKED, writes a lease token and pushes
-- the due time by the lease length; a crashed replica's lease just runs out), so
-- timers survive any restart and replicas share them without holding row locks.
CREATE TABLE IF NOT EXISTS escalation_state (
  alarm_id       text PRIMARY KEY,
  -- The unacknowledged episode last acted on (alarm.unacknowledgedSince), its last step sent.
  episode_since  timestamptz,
  last_key       text,
  last_stage     integer NOT NULL DEFAULT 0,
  next_due_at    timestamptz NOT NULL,
  -- Set by a claim, cleared by a new event for the alarm: a claim's result is only
  -- saved while its lease still stands, so an event during the claim is never lost.
  lease          text,
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS escalation_state_due_idx ON escalation_state (next_due_at);

-- Whether an enterprise's data has stopped; one offline/online event pair per episode.
CREATE TABLE IF NOT EXISTS enterprise_offline_state (
  enterprise_id  text PRIMARY KEY REFERENCES enterprises (id) ON DELETE CASCADE,
  offline        boolean NOT NULL,
  episode        integer NOT NULL DEFAULT 0,
  last_data_at   timestamptz,
  offline_since  timestamptz,
  changed_at     timestamptz NOT NULL DEFAULT now()
);

-- The fan-out sweeper's position in the event sequence. `base_seq` is the last event
-- before dispatch first ran: older history is never fanned out by the sweeper or by
-- the catch-up of an alarm's earlier events (only by an explicit job).
CREATE TABLE IF NOT EXISTS dispatch_cursor (
  name       text PRIMARY KEY,
  base_seq   bigint NOT NULL,
  seq        bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
