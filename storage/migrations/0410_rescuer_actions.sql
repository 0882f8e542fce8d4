-- The rescuer's phone: every action it sends carries a client id, so a resend after a
-- dropped connection is answered from the stored outcome instead of being applied twice.
-- Only applied actions are stored (a refused one rolls back with its claim).
CREATE TABLE rescuer_actions (
    rescuer_id  integer NOT NULL REFERENCES rescuers (id),
    action_id   text NOT NULL CHECK (action_id ~ '^[A-Za-z0-9_-]{8,64}$'),
    case_id     bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('accept', 'decline', 'depart', 'arrive', 'release')),
    done_at     timestamptz,            -- when the rescuer tapped it (the phone's clock)
    received_at timestamptz NOT NULL,   -- when the server applied it
    outcome     jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (rescuer_id, action_id)
);
CREATE INDEX rescuer_actions_case ON rescuer_actions (case_id);
