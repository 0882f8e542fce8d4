-- On-demand maintenance: the 3+2 score per elevator, maintenance plans per item level,
-- work orders, and the link from completion records to their work order.

-- One row per elevator, rewritten by the score job (liftwatch score). total 0..100, high
-- is low risk; grade A (best) .. D. contributions sum to total - baseline.
CREATE TABLE elevator_scores (
    elevator_id   integer PRIMARY KEY REFERENCES elevators (id),
    computed_at   timestamptz NOT NULL,
    total         real NOT NULL CHECK (total BETWEEN 0 AND 100),
    grade         char(1) NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D')),
    baseline      real NOT NULL,
    factors       jsonb NOT NULL,
    contributions jsonb NOT NULL,
    eligible      boolean NOT NULL,
    interval_days integer NOT NULL CHECK (interval_days > 0),
    reasons       jsonb NOT NULL DEFAULT '[]'
) WITH (fillfactor = 70);  -- room for the daily in-place (HOT) rewrite
CREATE INDEX elevator_scores_grade ON elevator_scores (grade);

-- Next due date per elevator and item level (TSG T5002: each level includes the ones below).
CREATE TABLE maintenance_plans (
    elevator_id   integer NOT NULL REFERENCES elevators (id),
    level         text NOT NULL CHECK (level IN ('half_monthly', 'quarterly', 'half_yearly', 'yearly')),
    interval_days integer NOT NULL CHECK (interval_days > 0),
    last_done     date,
    next_due      date NOT NULL,
    reasons       jsonb NOT NULL DEFAULT '[]',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (elevator_id, level)
) WITH (fillfactor = 80);
CREATE INDEX maintenance_plans_next_due ON maintenance_plans (next_due);

CREATE TABLE work_orders (
    id          bigserial PRIMARY KEY,
    elevator_id integer NOT NULL REFERENCES elevators (id),
    company_id  integer NOT NULL REFERENCES maintenance_companies (id),
    level       text NOT NULL CHECK (level IN ('half_monthly', 'quarterly', 'half_yearly', 'yearly')),
    due_date    date NOT NULL,
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'in_progress', 'done', 'cancelled')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    reason      text NOT NULL DEFAULT '',
    done_at     timestamptz
);
-- One pending work order per elevator and level; the job's insert is idempotent.
CREATE UNIQUE INDEX work_orders_one_pending ON work_orders (elevator_id, level)
    WHERE state IN ('open', 'in_progress');
CREATE INDEX work_orders_company ON work_orders (company_id, state, due_date);

ALTER TABLE maintenance_records ADD COLUMN work_order_id bigint REFERENCES work_orders (id);
CREATE UNIQUE INDEX maintenance_records_work_order ON maintenance_records (work_order_id)
    WHERE work_order_id IS NOT NULL;
CREATE INDEX maintenance_records_ended ON maintenance_records (ended_at);
