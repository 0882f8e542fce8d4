"""96333 rescue: cases, the tiered Didi-style dispatch, SLA and escalation.

Pure: ``model`` (the records), ``policy`` and ``lifecycle``. The engine (``engine``, a
facade over ``intake``, ``offers``, ``progress`` and ``supervision`` sharing one
``context``) applies them to the database through ``repository/`` (the only SQL);
``queries`` and ``webhooks`` serve the API's reads and subscriptions; ``service`` runs
the engine as a background service listening for alarms; ``notifications`` tells the
desk, the companies and the rescuers.
"""
