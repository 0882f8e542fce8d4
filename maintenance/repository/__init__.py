"""The maintenance repositories: the only maintenance code with SQL.

- :mod:`.columns`: column tables read as one ``bytea`` per column and written by binary
  COPY (the score job's fast path);
- :mod:`.fleet_facts`: the score inputs of the whole fleet;
- :mod:`.score_state`: the stored scores and plans, and their bulk writes;
- :mod:`.work_orders`: work orders, completion records and overdue alarms;
- :mod:`.scores`: the API's reads of scores, plans and records;
- :mod:`.indicators`: the supervisor indicators.

The condition index has its own repository (:mod:`maintenance.condition_repository`).
"""
