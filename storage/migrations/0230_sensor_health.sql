-- Each elevator's learned sensor health (presence sensor stuck on or dead, load cell
-- empty-car baseline, reporting pattern): a SensorHealth snapshot
-- (analytics.detectors.health, versioned by its "v" key) plus "to_ms", the event time
-- of the latest sample it counts. Detector runners save it periodically and when they
-- stop or hand elevators over, and load it before replaying the recovery horizon, so a
-- restart does not relearn every sensor from scratch (docs/detection.md).
CREATE TABLE sensor_health (
    elevator_id integer PRIMARY KEY REFERENCES elevators (id) ON DELETE CASCADE,
    health      jsonb NOT NULL CHECK (jsonb_typeof(health) = 'object'),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
