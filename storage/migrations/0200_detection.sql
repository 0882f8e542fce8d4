-- Detection: alarm suppression windows and the per-elevator condition index.

-- While an elevator is in a maintenance or inspection window its telemetry alarms are
-- suppressed (the alarm button is exempt; see docs/detection.md).
CREATE TABLE suppression_windows (
    id          bigserial PRIMARY KEY,
    elevator_id integer NOT NULL REFERENCES elevators (id),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    reason      text NOT NULL CHECK (reason IN ('maintenance', 'inspection', 'other')),
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suppression_windows_ends ON suppression_windows (ends_at, elevator_id);

-- Condition index from anomaly detection on analog channels: 0..100, 100 = healthy.
-- Read by the 3+2 score as its "AI monitoring" factor.
CREATE TABLE elevator_condition (
    elevator_id     integer PRIMARY KEY REFERENCES elevators (id),
    condition_index real NOT NULL CHECK (condition_index BETWEEN 0 AND 100),
    anomalies_30d   integer NOT NULL DEFAULT 0 CHECK (anomalies_30d >= 0),
    anomalies_90d   integer NOT NULL DEFAULT 0 CHECK (anomalies_90d >= 0),
    computed_at     timestamptz NOT NULL,
    detail          jsonb NOT NULL DEFAULT '{}'
);
