-- Telemetry on plain PostgreSQL: native daily range partitions, BRIN on time,
-- a materialized view of daily statistics, partition-dropping retention.

CREATE TABLE telemetry (
    ts          timestamptz NOT NULL,
    elevator_id integer NOT NULL,
    seq         bigint NOT NULL,
    received_at timestamptz NOT NULL,
    car         smallint NOT NULL,
    dir         smallint NOT NULL,
    floor       smallint NOT NULL,
    door_zone   boolean NOT NULL,
    door        smallint NOT NULL,
    passenger   boolean NOT NULL,
    mode        smallint NOT NULL,
    power       smallint NOT NULL,
    speed       real NOT NULL,
    load        real NOT NULL,
    leveling_mm real NOT NULL,
    run_hours   real NOT NULL,
    runs        integer NOT NULL,
    door_cycles integer NOT NULL,
    analog      jsonb
) PARTITION BY RANGE (ts);

-- Idempotency key: a redelivered message (same elevator, sequence and event time) is stored once.
CREATE UNIQUE INDEX telemetry_key ON telemetry (elevator_id, ts, seq);
CREATE INDEX telemetry_ts_brin ON telemetry USING brin (ts);

CREATE FUNCTION liftwatch_ensure_telemetry_partitions(p_from date, p_to date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    d date := p_from;
    created integer := 0;
    part text;
BEGIN
    WHILE d <= p_to LOOP
        part := format('telemetry_p%s', to_char(d, 'YYYYMMDD'));
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF telemetry FOR VALUES FROM (%L) TO (%L)',
                part, (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
            created := created + 1;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN created;
END $$;

CREATE FUNCTION liftwatch_drop_telemetry_partitions(p_keep interval)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    dropped integer := 0;
    cutoff date := ((now() - p_keep) AT TIME ZONE 'UTC')::date;
BEGIN
    FOR r IN
        SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'telemetry'::regclass
          AND c.relname ~ '^telemetry_p[0-9]{8}$'
          AND to_date(substr(c.relname, 12), 'YYYYMMDD') < cutoff
    LOOP
        EXECUTE format('DROP TABLE %I', r.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;

SELECT liftwatch_ensure_telemetry_partitions(
    ((now() AT TIME ZONE 'UTC')::date - 7), ((now() AT TIME ZONE 'UTC')::date + 2));

CREATE MATERIALIZED VIEW telemetry_daily AS
SELECT date_trunc('day', ts, 'UTC')          AS day,
       elevator_id,
       count(*)                              AS samples,
       max(runs) - min(runs)                 AS runs,
       max(door_cycles) - min(door_cycles)   AS door_cycles,
       max(speed)                            AS max_speed,
       avg(abs(leveling_mm))                 AS mean_abs_leveling_mm,
       avg((analog ->> 'vibration')::real)   AS mean_vibration,
       avg(passenger::int)                   AS passenger_share
FROM telemetry
GROUP BY 1, 2
WITH NO DATA;
CREATE UNIQUE INDEX telemetry_daily_key ON telemetry_daily (elevator_id, day);
