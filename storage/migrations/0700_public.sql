-- 一梯一码: the public page of each elevator, its QR code (rotated on reprint), passengers'
-- reports, the tickets companies answer, and the sources the desk has blocked.

-- The safety officer (安全管理员) a user unit must post in the car; nullable: not every
-- registry has them.
ALTER TABLE user_units
    ADD COLUMN safety_officer_name  text,
    ADD COLUMN safety_officer_phone text;

-- The code printed on the sticker: random, not the elevator id. A reprint rotates it; the
-- old code keeps working (retired_at set) so stickers still up are not dead, but reports
-- made through it are marked.
CREATE TABLE public_codes (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{8,32}$'),
    elevator_id integer NOT NULL REFERENCES elevators (id),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);
CREATE UNIQUE INDEX public_codes_current ON public_codes (elevator_id) WHERE retired_at IS NULL;
CREATE INDEX public_codes_elevator ON public_codes (elevator_id, issued_at DESC);

-- A fault or complaint the elevator's company must answer by due_at; several reports of
-- one elevator join an open ticket once the cap of open tickets is reached.
CREATE TABLE public_tickets (
    id          bigserial PRIMARY KEY,
    elevator_id integer NOT NULL REFERENCES elevators (id),
    company_id  integer NOT NULL REFERENCES maintenance_companies (id),
    kind        text NOT NULL CHECK (kind IN ('fault', 'complaint')),
    category    text NOT NULL,
    description text NOT NULL DEFAULT '',
    opened_at   timestamptz NOT NULL,
    due_at      timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'dismissed')),
    reports     integer NOT NULL DEFAULT 1 CHECK (reports >= 1),
    answer      text NOT NULL DEFAULT '',
    answered_at timestamptz,
    answered_by text NOT NULL DEFAULT ''
);
CREATE INDEX public_tickets_open ON public_tickets (elevator_id) WHERE state = 'open';
CREATE INDEX public_tickets_company ON public_tickets (company_id, state, due_at);
CREATE INDEX public_tickets_opened ON public_tickets (opened_at DESC);

-- Every accepted report; token is the reporter's unguessable link (/r/<token>).
CREATE TABLE public_reports (
    id           bigserial PRIMARY KEY,
    token        text NOT NULL UNIQUE,
    elevator_id  integer NOT NULL REFERENCES elevators (id),
    code         text NOT NULL REFERENCES public_codes (code),
    stale_code   boolean NOT NULL DEFAULT false,
    kind         text NOT NULL CHECK (kind IN ('entrapment', 'fault', 'complaint')),
    category     text NOT NULL DEFAULT '',
    description  text NOT NULL DEFAULT '',
    phone        text NOT NULL DEFAULT '',
    source       text NOT NULL,
    reported_at  timestamptz NOT NULL,
    case_id      bigint REFERENCES rescue_cases (id),
    ticket_id    bigint REFERENCES public_tickets (id),
    dismissed_at timestamptz,
    dismissed_by text NOT NULL DEFAULT '',
    CHECK ((kind = 'entrapment') = (case_id IS NOT NULL)),
    CHECK ((kind = 'entrapment') = (ticket_id IS NULL))
);
CREATE INDEX public_reports_elevator ON public_reports (elevator_id, reported_at DESC);
CREATE INDEX public_reports_source ON public_reports (source, reported_at DESC);
CREATE INDEX public_reports_reported ON public_reports (reported_at DESC);
CREATE INDEX public_reports_ticket ON public_reports (ticket_id) WHERE ticket_id IS NOT NULL;

-- Client addresses whose reports are refused (prank callers), set by the desk.
CREATE TABLE public_blocked_sources (
    source     text PRIMARY KEY,
    blocked_at timestamptz NOT NULL DEFAULT now(),
    blocked_by text NOT NULL,
    reason     text NOT NULL DEFAULT ''
);
