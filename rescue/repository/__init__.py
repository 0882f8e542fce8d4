"""Rescue's persistence: the only place with its SQL, one module per subject.

``cases`` (cases, timeline, alarm links, escalations, elevators named by a call),
``offers``, ``rescuers``, ``supervision`` (what the once-a-second tick looks for),
``views`` (the API's scoped reads, asynchronous), ``webhooks`` (subscriptions and
deliveries). Invariants live in the database: one active case per elevator and per
rescuer (partial unique indexes), one offer per (case, rescuer), the timeline
append-only (trigger).
"""
