-- Simulator-only ground truth about the synthetic fleet: the hidden degradation
-- ("condition", 0 healthy .. 1 bad) that drives simulated faults and analog drift.
-- Real deployments leave it empty; the 3+2 score must never read it.
CREATE TABLE sim_elevator_condition (
    elevator_id integer PRIMARY KEY REFERENCES elevators (id) ON DELETE CASCADE,
    condition   real NOT NULL CHECK (condition BETWEEN 0 AND 1)
);
