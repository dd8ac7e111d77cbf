-- What the alarm store (alarms.repo.ts) and the rule store (rules.repo.ts) query by.

-- Shelve expiry: the timer asks for shelved alarms whose shelve has run out.
CREATE INDEX IF NOT EXISTS alarms_shelved_until_idx ON alarms (shelved_until) WHERE state = 'shelved';

-- Alarm lists page by (raised_at, id) newest first, per enterprise or over everything.
CREATE INDEX IF NOT EXISTS alarms_raised_idx ON alarms (raised_at DESC, id DESC);

-- Live-stream replay: events after a seq for a set of enterprises.
CREATE INDEX IF NOT EXISTS alarm_events_enterprise_seq_idx ON alarm_events (enterprise_id, seq);

-- A rule's versions newest first are served by the primary key (rule_id, version); the API
-- lists rules per enterprise (rules_enterprise_idx) and the worker by partition key.

-- The input an event came from (a transition id, a person's event id): a repeated input finds
-- every event its first application wrote (a shelve expiry applied first, then the raise), so
-- the worker can publish them again after a crash between commit and publish.
ALTER TABLE alarm_events ADD COLUMN IF NOT EXISTS cause_id text;
CREATE INDEX IF NOT EXISTS alarm_events_cause_idx ON alarm_events (cause_id) WHERE cause_id IS NOT NULL;
