-- Cluster mode: which partition (quorum queue) of the detectors' stream each bucket of
-- elevators (elevator_id mod buckets) is routed to, as learned by the detector workers
-- from their deliveries (RabbitMQ's consistent-hash ring is not computable outside it).
-- A worker taking a partition over restores the detectors of the elevators in its
-- buckets. Keyed by the configuration, so a change of buckets or partitions starts anew.
CREATE TABLE cluster_routing (
    buckets    integer NOT NULL CHECK (buckets > 0),
    partitions integer NOT NULL CHECK (partitions > 0),
    bucket     integer NOT NULL CHECK (bucket >= 0 AND bucket < buckets),
    partition  integer NOT NULL CHECK (partition >= 0 AND partition < partitions),
    learned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (buckets, partitions, bucket)
);
