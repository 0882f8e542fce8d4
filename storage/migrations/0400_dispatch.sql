-- 96333 rescue dispatch: offers, alarm links, escalations, webhooks.

-- A rescuer holds at most one active case at a time.
CREATE UNIQUE INDEX rescue_cases_one_per_rescuer ON rescue_cases (rescuer_id)
    WHERE state IN ('accepted', 'en_route', 'on_site') AND rescuer_id IS NOT NULL;
CREATE INDEX rescue_cases_active ON rescue_cases (state)
    WHERE state IN ('reported', 'offered', 'accepted', 'en_route', 'on_site');

-- Every alarm that reached dispatch, and the case it opened or joined (idempotency).
CREATE TABLE rescue_case_alarms (
    alarm_id  bigint PRIMARY KEY REFERENCES alarms (id),
    case_id   bigint NOT NULL REFERENCES rescue_cases (id),
    joined    boolean NOT NULL DEFAULT false,
    linked_at timestamptz NOT NULL
);
CREATE INDEX rescue_case_alarms_case ON rescue_case_alarms (case_id);

-- Didi-style offers: one per (case, rescuer); the first pending offer accepted wins.
CREATE TABLE dispatch_offers (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES rescue_cases (id),
    rescuer_id  integer NOT NULL REFERENCES rescuers (id),
    tier        smallint NOT NULL CHECK (tier BETWEEN 1 AND 3),
    round       smallint NOT NULL DEFAULT 1,
    eta_s       real NOT NULL CHECK (eta_s >= 0),
    distance_m  real NOT NULL CHECK (distance_m >= 0),
    offered_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN
                    ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
    answered_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (case_id, rescuer_id)
);
CREATE INDEX dispatch_offers_pending ON dispatch_offers (expires_at) WHERE state = 'pending';
CREATE INDEX dispatch_offers_rescuer ON dispatch_offers (rescuer_id) WHERE state = 'pending';

-- Supervisor alerts: SLA breach, insurance threshold, 119 hand-off. One per case and kind.
CREATE TABLE rescue_escalations (
    id              bigserial PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES rescue_cases (id),
    kind            text NOT NULL CHECK (kind IN
                        ('sla_breach', 'insurance', 'fire_service', 'decision_deadline')),
    at              timestamptz NOT NULL,
    detail          jsonb NOT NULL DEFAULT '{}',
    acknowledged_at timestamptz,
    UNIQUE (case_id, kind)
);
CREATE INDEX rescue_escalations_open ON rescue_escalations (at DESC) WHERE acknowledged_at IS NULL;

-- Webhooks of maintenance companies: signed (HMAC-SHA256), retried with backoff.
CREATE TABLE webhook_subscriptions (
    id         bigserial PRIMARY KEY,
    company_id integer NOT NULL REFERENCES maintenance_companies (id),
    url        text NOT NULL CHECK (url ~ '^https?://'),
    secret     text NOT NULL CHECK (length(secret) >= 16),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company_id, url)
);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    case_id         bigint REFERENCES rescue_cases (id),
    event           text NOT NULL,
    body            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN
                        ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    response_code   integer,
    last_error      text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
