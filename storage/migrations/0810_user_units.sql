-- User units (使用单位) as first-class records: their safety director and officers with
-- certificates, and the 日管控、周排查、月调度 records against configurable checklists
-- (SAMR Order No. 74; docs/hazards.md).

ALTER TABLE user_units
    ADD COLUMN district text,
    ADD COLUMN contact_phone text NOT NULL DEFAULT '';

CREATE TABLE unit_staff (
    id                    serial PRIMARY KEY,
    user_unit_id          integer NOT NULL REFERENCES user_units (id),
    duty                  text NOT NULL CHECK (duty IN ('director', 'officer')),
    name                  text NOT NULL,
    phone                 text NOT NULL DEFAULT '',
    certificate_no        text NOT NULL DEFAULT '',
    certificate_valid_until date,
    active                boolean NOT NULL DEFAULT true
);
CREATE INDEX unit_staff_unit ON unit_staff (user_unit_id);

-- The checklists: daily (per elevator or per building), weekly, monthly (a meeting with
-- minutes). Items are a JSON array of {"key", "label"}; a unit may have its own version.
CREATE TABLE unit_checklists (
    id           serial PRIMARY KEY,
    user_unit_id integer REFERENCES user_units (id),  -- NULL: the city's default
    kind         text NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly')),
    per          text NOT NULL CHECK (per IN ('elevator', 'building', 'unit')),
    name         text NOT NULL,
    items        jsonb NOT NULL DEFAULT '[]',
    active       boolean NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX unit_checklists_one_active ON unit_checklists
    (COALESCE(user_unit_id, 0), kind) WHERE active;

INSERT INTO unit_checklists (user_unit_id, kind, per, name, items) VALUES
  (NULL, 'daily', 'elevator', '每日安全检查', '[
    {"key": "run", "label": "运行平稳、无异响"},
    {"key": "door", "label": "层门轿门开关正常"},
    {"key": "alarm", "label": "紧急报警装置可用"},
    {"key": "light", "label": "轿厢照明与通风正常"},
    {"key": "notice", "label": "使用标志、安全须知在位"}]'),
  (NULL, 'weekly', 'unit', '每周隐患排查', '[
    {"key": "hazards", "label": "排查电梯安全隐患"},
    {"key": "maintenance", "label": "核查维保记录"},
    {"key": "rescue", "label": "困人应急救援准备"}]'),
  (NULL, 'monthly', 'unit', '每月安全调度会', '[
    {"key": "review", "label": "总结本月安全状况"},
    {"key": "hazards", "label": "研究隐患整改"},
    {"key": "plan", "label": "部署下月工作"}]');

-- One record per unit, checklist kind, elevator (or building) and period (the day, the
-- Monday of the week, the first of the month).
CREATE TABLE unit_checks (
    id           bigserial PRIMARY KEY,
    user_unit_id integer NOT NULL REFERENCES user_units (id),
    checklist_id integer NOT NULL REFERENCES unit_checklists (id),
    kind         text NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly')),
    elevator_id  integer REFERENCES elevators (id),
    building     text,
    period_start date NOT NULL,
    done_at      timestamptz NOT NULL,
    done_by      text NOT NULL,
    results      jsonb NOT NULL DEFAULT '{}',
    problems     integer NOT NULL DEFAULT 0 CHECK (problems >= 0),
    minutes      text NOT NULL DEFAULT '',
    CHECK (kind <> 'monthly' OR length(minutes) > 0)
);
CREATE UNIQUE INDEX unit_checks_one_per_period ON unit_checks
    (user_unit_id, kind, COALESCE(elevator_id, 0), COALESCE(building, ''), period_start);
CREATE INDEX unit_checks_period ON unit_checks (period_start);
