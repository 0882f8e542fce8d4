-- Who moved an alarm through its lifecycle, when, and why (append-only audit trail).

CREATE TABLE alarm_actions (
    id        bigserial PRIMARY KEY,
    alarm_id  bigint NOT NULL REFERENCES alarms (id),
    at        timestamptz NOT NULL DEFAULT now(),
    action    text NOT NULL,
    from_state text NOT NULL,
    to_state  text NOT NULL,
    actor     text NOT NULL,
    note      text NOT NULL DEFAULT ''
);
CREATE INDEX alarm_actions_alarm ON alarm_actions (alarm_id, at);
CREATE TRIGGER alarm_actions_append_only BEFORE UPDATE OR DELETE ON alarm_actions
    FOR EACH ROW EXECUTE FUNCTION liftwatch_append_only();

-- The alarm list filters by state and sorts by opening time.
CREATE INDEX alarms_state_opened ON alarms (state, opened_at DESC);
CREATE INDEX alarms_elevator ON alarms (elevator_id, opened_at DESC);
