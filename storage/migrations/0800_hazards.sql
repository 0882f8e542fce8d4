-- 双重预防: hazards (隐患) from finding to verified remediation, their evidence and their
-- append-only trail; the user-unit role of accounts (docs/hazards.md).

-- A user unit's account acts for its own elevators only.
ALTER TABLE users ADD COLUMN user_unit_id integer REFERENCES user_units (id);
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK
    (role IN ('admin', 'supervisor', 'desk', 'company', 'rescuer', 'user_unit'));
ALTER TABLE users ADD CONSTRAINT users_user_unit_scope CHECK
    ((role = 'user_unit') = (user_unit_id IS NOT NULL));
ALTER TABLE api_keys ADD COLUMN user_unit_id integer REFERENCES user_units (id);
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK
    (role IN ('admin', 'supervisor', 'desk', 'company', 'rescuer', 'user_unit'));
ALTER TABLE api_keys ADD CONSTRAINT api_keys_user_unit_scope CHECK
    ((role = 'user_unit') = (user_unit_id IS NOT NULL));

CREATE TABLE hazards (
    id              bigserial PRIMARY KEY,
    elevator_id     integer NOT NULL REFERENCES elevators (id),
    source          text NOT NULL CHECK (source IN
                        ('inspection', 'maintenance', 'spot_check', 'complaint', 'automatic')),
    rule            text CHECK (rule IN ('recurring_fault', 'inspection_expired',
                        'insurance_lapsed', 'maintenance_overdue', 'condition_collapse')),
    category        text NOT NULL,
    description     text NOT NULL,
    grade           text NOT NULL CHECK (grade IN ('general', 'serious')),
    party           text NOT NULL CHECK (party IN ('user_unit', 'company')),
    state           text NOT NULL DEFAULT 'reported' CHECK (state IN
                        ('reported', 'assigned', 'remediating', 'remediated', 'verified',
                         'closed')),
    reported_at     timestamptz NOT NULL,
    reported_by     text NOT NULL,
    due_at          timestamptz NOT NULL,
    remediated_at   timestamptz,
    verified_at     timestamptz,
    closed_at       timestamptz,
    escalation      smallint NOT NULL DEFAULT 0 CHECK (escalation BETWEEN 0 AND 2),
    out_of_service  boolean NOT NULL DEFAULT false,
    detail          jsonb NOT NULL DEFAULT '{}',
    CHECK (rule IS NULL OR source = 'automatic')
);
-- One open hazard per elevator and automatic rule: the scan inserts with ON CONFLICT.
CREATE UNIQUE INDEX hazards_one_open_rule ON hazards (elevator_id, rule)
    WHERE rule IS NOT NULL AND state <> 'closed';
CREATE INDEX hazards_elevator ON hazards (elevator_id, reported_at DESC);
CREATE INDEX hazards_open_due ON hazards (due_at) WHERE state IN ('reported', 'assigned', 'remediating');
CREATE INDEX hazards_reported ON hazards (reported_at DESC);

-- Photos and files behind the evidence store (disk or S3-compatible); rows never change.
CREATE TABLE hazard_evidence (
    id          bigserial PRIMARY KEY,
    hazard_id   bigint NOT NULL REFERENCES hazards (id),
    at          timestamptz NOT NULL DEFAULT now(),
    uploaded_by text NOT NULL,
    filename    text NOT NULL,
    media_type  text NOT NULL,
    size        integer NOT NULL CHECK (size > 0),
    sha256      text NOT NULL,
    storage_key text NOT NULL UNIQUE
);
CREATE INDEX hazard_evidence_hazard ON hazard_evidence (hazard_id, at);
CREATE TRIGGER hazard_evidence_append_only BEFORE UPDATE OR DELETE ON hazard_evidence
    FOR EACH ROW EXECUTE FUNCTION liftwatch_append_only();

-- Every change of a hazard: who, when, what, with which evidence (append-only).
CREATE TABLE hazard_trail (
    id          bigserial PRIMARY KEY,
    hazard_id   bigint NOT NULL REFERENCES hazards (id),
    at          timestamptz NOT NULL DEFAULT now(),
    action      text NOT NULL,
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    actor       text NOT NULL,
    note        text NOT NULL DEFAULT '',
    evidence_id bigint REFERENCES hazard_evidence (id),
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX hazard_trail_hazard ON hazard_trail (hazard_id, at, id);
CREATE TRIGGER hazard_trail_append_only BEFORE UPDATE OR DELETE ON hazard_trail
    FOR EACH ROW EXECUTE FUNCTION liftwatch_append_only();
