-- The "one database": fleet registry, alarms, rescue cases, maintenance, dead letters.

CREATE TABLE maintenance_companies (
    id              integer PRIMARY KEY,
    name            text NOT NULL,
    tech_level      smallint NOT NULL CHECK (tech_level BETWEEN 1 AND 5),
    credit_grade    char(1) NOT NULL CHECK (credit_grade IN ('A', 'B', 'C')),
    credit_score    real NOT NULL CHECK (credit_score BETWEEN 0 AND 100),
    certified_staff integer NOT NULL DEFAULT 0 CHECK (certified_staff >= 0),
    licensed        boolean NOT NULL DEFAULT true,
    paperless       boolean NOT NULL DEFAULT true,
    duty_phone      text NOT NULL DEFAULT ''
);

CREATE TABLE user_units (
    id               integer PRIMARY KEY,
    name             text NOT NULL,
    management_level smallint NOT NULL CHECK (management_level BETWEEN 1 AND 5),
    safety_manager   boolean NOT NULL DEFAULT true,
    complaints       integer NOT NULL DEFAULT 0
);

CREATE TABLE elevators (
    id                     integer PRIMARY KEY,
    code                   text NOT NULL UNIQUE,
    terminal_id            text NOT NULL UNIQUE,
    lon                    double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat                    double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    district               text NOT NULL,
    address                text NOT NULL DEFAULT '',
    building_type          text NOT NULL,
    install_date           date NOT NULL,
    rated_speed            real NOT NULL CHECK (rated_speed > 0),
    floors                 smallint NOT NULL CHECK (floors > 0),
    lowest_floor           smallint NOT NULL DEFAULT 1,
    company_id             integer NOT NULL REFERENCES maintenance_companies (id),
    user_unit_id           integer REFERENCES user_units (id),
    insurance_expiry       date,
    last_inspection        date,
    inspection_valid_until date,
    report_interval_s      real NOT NULL DEFAULT 5 CHECK (report_interval_s > 0),
    in_service             boolean NOT NULL DEFAULT true
);
CREATE INDEX elevators_company ON elevators (company_id);
CREATE INDEX elevators_district ON elevators (district);
CREATE INDEX elevators_position ON elevators (lon, lat);

CREATE TABLE rescue_stations (
    id       integer PRIMARY KEY,
    name     text NOT NULL,
    district text NOT NULL,
    lon      double precision NOT NULL,
    lat      double precision NOT NULL
);

CREATE TABLE rescuers (
    id          integer PRIMARY KEY,
    name        text NOT NULL,
    company_id  integer REFERENCES maintenance_companies (id),
    station_id  integer REFERENCES rescue_stations (id),
    home_lon    double precision NOT NULL,
    home_lat    double precision NOT NULL,
    lon         double precision NOT NULL,
    lat         double precision NOT NULL,
    position_at timestamptz,
    shift_start time NOT NULL,
    shift_end   time NOT NULL,
    available   boolean NOT NULL DEFAULT true,
    phone       text NOT NULL DEFAULT '',
    CHECK (company_id IS NOT NULL OR station_id IS NOT NULL)
);
CREATE INDEX rescuers_company ON rescuers (company_id);

-- Current status of each elevator: its newest sample by event time, not by arrival.
CREATE TABLE elevator_status (
    elevator_id   integer PRIMARY KEY REFERENCES elevators (id),
    ts            timestamptz NOT NULL,
    seq           bigint NOT NULL,
    car           smallint NOT NULL,
    dir           smallint NOT NULL,
    floor         smallint NOT NULL,
    door_zone     boolean NOT NULL,
    door          smallint NOT NULL,
    passenger     boolean NOT NULL,
    mode          smallint NOT NULL,
    power         smallint NOT NULL,
    speed         real NOT NULL DEFAULT 0,
    received_at   timestamptz NOT NULL DEFAULT now(),
    online        boolean NOT NULL DEFAULT true,
    online_since  timestamptz
);

-- Fault and event codes reported by terminals.
CREATE TABLE terminal_events (
    ts          timestamptz NOT NULL,
    elevator_id integer NOT NULL REFERENCES elevators (id),
    seq         bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    code        smallint NOT NULL,
    active      boolean NOT NULL,
    floor       smallint,
    detail      text NOT NULL DEFAULT '',
    PRIMARY KEY (elevator_id, ts, seq)
);
CREATE INDEX terminal_events_ts ON terminal_events (ts);

CREATE TABLE alarms (
    id              bigserial PRIMARY KEY,
    elevator_id     integer NOT NULL REFERENCES elevators (id),
    type            text NOT NULL,
    severity        smallint NOT NULL CHECK (severity BETWEEN 1 AND 4),
    state           text NOT NULL DEFAULT 'open' CHECK (state IN
                        ('open', 'acknowledged', 'in_progress', 'resolved', 'closed', 'false_alarm')),
    source          text NOT NULL,
    opened_at       timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    occurrences     integer NOT NULL DEFAULT 1,
    acknowledged_at timestamptz,
    resolved_at     timestamptz,
    closed_at       timestamptz,
    detail          jsonb NOT NULL DEFAULT '{}'
);
-- One active alarm per elevator and type; a repeat updates it (ON CONFLICT), never duplicates.
CREATE UNIQUE INDEX alarms_one_active ON alarms (elevator_id, type)
    WHERE state IN ('open', 'acknowledged', 'in_progress');
CREATE INDEX alarms_opened ON alarms (opened_at DESC);

CREATE TABLE rescue_cases (
    id                bigserial PRIMARY KEY,
    elevator_id       integer NOT NULL REFERENCES elevators (id),
    alarm_id          bigint REFERENCES alarms (id),
    source            text NOT NULL CHECK (source IN ('entrapment', 'alarm_button', 'hotline')),
    state             text NOT NULL DEFAULT 'reported' CHECK (state IN
                          ('reported', 'offered', 'accepted', 'en_route', 'on_site', 'released',
                           'closed', 'false_alarm', 'cancelled')),
    tier              smallint NOT NULL DEFAULT 1,
    rescuer_id        integer REFERENCES rescuers (id),
    people_trapped    integer NOT NULL DEFAULT 1 CHECK (people_trapped >= 0),
    caller_phone      text NOT NULL DEFAULT '',
    trapped_since     timestamptz NOT NULL,
    reported_at       timestamptz NOT NULL DEFAULT now(),
    decided_at        timestamptz,
    accepted_at       timestamptz,
    arrived_at        timestamptz,
    released_at       timestamptz,
    closed_at         timestamptz,
    arrival_due_at    timestamptz,
    insurance_flag    boolean NOT NULL DEFAULT false,
    fire_service      boolean NOT NULL DEFAULT false
);
-- Two alarms for one elevator make one case.
CREATE UNIQUE INDEX rescue_cases_one_active ON rescue_cases (elevator_id)
    WHERE state IN ('reported', 'offered', 'accepted', 'en_route', 'on_site');
CREATE INDEX rescue_cases_reported ON rescue_cases (reported_at DESC);

-- Append-only timeline of a case: every step time-stamped with its actor.
CREATE TABLE case_events (
    id      bigserial PRIMARY KEY,
    case_id bigint NOT NULL REFERENCES rescue_cases (id),
    at      timestamptz NOT NULL DEFAULT now(),
    step    text NOT NULL,
    actor   text NOT NULL,
    detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, at);

CREATE FUNCTION liftwatch_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION liftwatch_append_only();

CREATE TABLE maintenance_records (
    id          bigserial PRIMARY KEY,
    elevator_id integer NOT NULL REFERENCES elevators (id),
    company_id  integer NOT NULL REFERENCES maintenance_companies (id),
    level       text NOT NULL CHECK (level IN ('half_monthly', 'quarterly', 'half_yearly', 'yearly', 'repair')),
    technician  text NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL CHECK (ended_at >= started_at),
    items       jsonb NOT NULL DEFAULT '[]',
    findings    text NOT NULL DEFAULT '',
    due_date    date
);
CREATE INDEX maintenance_records_elevator ON maintenance_records (elevator_id, ended_at DESC);

CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    topic        text NOT NULL,
    reason       text NOT NULL,
    detail       text NOT NULL DEFAULT '',
    payload      bytea NOT NULL,
    payload_size integer NOT NULL
);
CREATE INDEX dead_letters_received ON dead_letters (received_at DESC);
CREATE INDEX dead_letters_reason ON dead_letters (reason);

CREATE TABLE users (
    id            serial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'supervisor', 'desk', 'company', 'rescuer')),
    company_id    integer REFERENCES maintenance_companies (id),
    rescuer_id    integer REFERENCES rescuers (id),
    active        boolean NOT NULL DEFAULT true,
    CHECK (role <> 'company' OR company_id IS NOT NULL),
    CHECK (role <> 'rescuer' OR rescuer_id IS NOT NULL)
);

CREATE TABLE api_keys (
    id         serial PRIMARY KEY,
    name       text NOT NULL,
    key_hash   text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('admin', 'supervisor', 'desk', 'company', 'rescuer')),
    company_id integer REFERENCES maintenance_companies (id),
    rescuer_id integer REFERENCES rescuers (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
