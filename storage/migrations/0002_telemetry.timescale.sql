-- Telemetry on TimescaleDB: hypertable with compression and retention policies and a
-- continuous aggregate of daily per-elevator statistics (the same columns as the
-- plain path's materialized view, so the same queries run on both).

CREATE EXTENSION IF NOT EXISTS timescaledb;

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
);
SELECT create_hypertable('telemetry', by_range('ts', INTERVAL '1 day'));
CREATE UNIQUE INDEX telemetry_key ON telemetry (elevator_id, ts, seq);

ALTER TABLE telemetry SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'elevator_id',
    timescaledb.compress_orderby = 'ts DESC, seq DESC'
);
SELECT add_compression_policy('telemetry', compress_after => INTERVAL '7 days');
SELECT add_retention_policy('telemetry', drop_after => INTERVAL '90 days');

CREATE MATERIALIZED VIEW telemetry_daily WITH (timescaledb.continuous) AS
SELECT time_bucket(INTERVAL '1 day', ts)     AS day,
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
SELECT add_continuous_aggregate_policy('telemetry_daily',
    start_offset => INTERVAL '3 days',
    end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '1 hour');

-- Kept so callers need not know the backend: partitions are Timescale's chunks here.
CREATE FUNCTION liftwatch_ensure_telemetry_partitions(p_from date, p_to date)
RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$;
CREATE FUNCTION liftwatch_drop_telemetry_partitions(p_keep interval)
RETURNS integer LANGUAGE sql AS $$
    SELECT count(*)::integer FROM drop_chunks('telemetry', older_than => p_keep)
$$;
