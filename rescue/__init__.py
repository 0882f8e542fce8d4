"""96333 rescue: cases, the tiered Didi-style dispatch, SLA and escalation.

``policy`` and ``lifecycle`` are pure; ``engine`` applies them to the database;
``service`` runs the engine as a background service listening for alarms.
"""
