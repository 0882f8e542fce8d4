-- 维保签到: a technician's check-in on a work order. Started by the elevator's public code
-- (the sticker in the car) or by a position within the radius, finished with the
-- checklist ticked; start and end times and positions are stored, with the distance to
-- the elevator and the on-site flag the server computed, so on-time and on-site are
-- proven, not declared.

-- A technician account (role technician) belongs to a maintenance company.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN
    ('admin', 'supervisor', 'desk', 'company', 'rescuer', 'technician'));
ALTER TABLE users ADD CONSTRAINT users_technician_company
    CHECK (role <> 'technician' OR company_id IS NOT NULL);
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN
    ('admin', 'supervisor', 'desk', 'company', 'rescuer', 'technician'));

CREATE TABLE maintenance_checkins (
    work_order_id    bigint PRIMARY KEY REFERENCES work_orders (id),
    elevator_id      integer NOT NULL REFERENCES elevators (id),
    company_id       integer NOT NULL REFERENCES maintenance_companies (id),
    technician       text NOT NULL,
    start_method     text NOT NULL CHECK (start_method IN ('code', 'position')),
    started_at       timestamptz NOT NULL,
    start_code       text,
    start_lon        double precision CHECK (start_lon BETWEEN -180 AND 180),
    start_lat        double precision CHECK (start_lat BETWEEN -90 AND 90),
    start_accuracy_m real,
    start_distance_m real,
    start_on_site    boolean NOT NULL,
    finish_method    text CHECK (finish_method IN ('code', 'position')),
    finished_at      timestamptz CHECK (finished_at >= started_at),
    finish_code      text,
    finish_lon       double precision CHECK (finish_lon BETWEEN -180 AND 180),
    finish_lat       double precision CHECK (finish_lat BETWEEN -90 AND 90),
    finish_accuracy_m real,
    finish_distance_m real,
    finish_on_site   boolean,
    items            jsonb NOT NULL DEFAULT '[]',
    due_date         date NOT NULL,
    on_time          boolean,
    record_id        bigint REFERENCES maintenance_records (id)
);
CREATE INDEX maintenance_checkins_company ON maintenance_checkins (company_id, started_at DESC);
CREATE INDEX maintenance_checkins_elevator ON maintenance_checkins (elevator_id, started_at DESC);
