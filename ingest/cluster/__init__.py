"""Ingest and detection as a cluster: stateless storers forward each committed batch to
a partitioned, replicated RabbitMQ stream (``forwarder``), detector workers own its
partitions (``detector_worker``, ``balance``). See docs/architecture.md "Scaling out"."""
