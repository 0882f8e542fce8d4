-- Alarm raising is at-least-once and idempotent: an alarm's identity is its elevator,
-- type and onset (the event time at which its rule became satisfied), so a raise that
-- is replayed after a crash or redelivered by the cluster stream finds its alarm and
-- writes nothing (alarms.repository.raise_alarm; docs/detection.md "Crash safety").
CREATE INDEX alarms_onset ON alarms (elevator_id, type, opened_at);

-- How far each detector runner's alarms are durably written: every alarm whose rule
-- became satisfied at or before fired_to (event time) is in the alarms table. A runner
-- that starts replays stored telemetry from fired_to minus the rules' horizon.
CREATE TABLE detector_checkpoints (
    name       text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    fired_to   timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
