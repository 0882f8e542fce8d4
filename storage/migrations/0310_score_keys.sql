-- The score job compares each run with the stored rows in numpy and writes only the rows
-- whose values changed. A reason list is identified by a small integer key (the policy's
-- reason bit mask and grade, or a fixed level's key); the stored jsonb stays for readers.
ALTER TABLE elevator_scores ADD COLUMN reason_key integer;
ALTER TABLE maintenance_plans ADD COLUMN reason_key integer;

-- The reason list of every key the job has written (its texts depend on the settings:
-- when they change, the rows with that key are rewritten).
CREATE TABLE maintenance_reason_sets (
    key     integer PRIMARY KEY,
    reasons jsonb NOT NULL
);
