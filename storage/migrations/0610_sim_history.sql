-- Simulator-only: the history the demo seeds (maintenance records, alarms, rescue cases
-- over the past year) and its ground truth. Real deployments leave both tables empty.

-- One row per seeded window; the next demo start seeds only what follows the last one.
CREATE TABLE sim_history_windows (
    id        serial PRIMARY KEY,
    seed      bigint NOT NULL,
    from_ts   timestamptz NOT NULL,
    to_ts     timestamptz NOT NULL CHECK (to_ts > from_ts),
    seeded_at timestamptz NOT NULL DEFAULT now(),
    visits    integer NOT NULL CHECK (visits >= 0),
    alarms    integer NOT NULL CHECK (alarms >= 0),
    cases     integer NOT NULL CHECK (cases >= 0)
);

-- The fault behind each seeded alarm (what really happened; the alarm is what was seen).
CREATE TABLE sim_fault_truth (
    alarm_id    bigint PRIMARY KEY REFERENCES alarms (id) ON DELETE CASCADE,
    elevator_id integer NOT NULL REFERENCES elevators (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL CHECK (ended_at >= started_at),
    detail      text NOT NULL DEFAULT ''
);
CREATE INDEX sim_fault_truth_elevator ON sim_fault_truth (elevator_id, started_at);
