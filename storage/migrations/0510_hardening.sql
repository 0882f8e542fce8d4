-- Hardening (issue 14): token revocation, end requests of rescue cases, honest
-- maintenance record times.

-- A user's tokens carry the version they were issued under; deactivating the user or
-- changing the password bumps it, so every earlier token stops working at once.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;

-- A company or rescuer may only *ask* the desk to end a case as a false alarm or to
-- cancel it; the request waits here (and on the timeline) until the desk decides.
ALTER TABLE rescue_cases ADD COLUMN end_request text
    CHECK (end_request IN ('false_alarm', 'cancelled'));

-- When a maintenance record was entered through the API (the record's own times are the
-- technician's word). NULL: imported history. The on-time indicator judges a record by
-- when it was entered too, so a late record entered with earlier times counts as late.
ALTER TABLE maintenance_records ADD COLUMN recorded_at timestamptz;
