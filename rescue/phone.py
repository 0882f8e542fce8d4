"""The rescuer's phone: actions queued on the phone (it may be offline) and sent later,
applied exactly once.

Each action carries the phone's own id. The id is claimed in the same transaction as
the engine step it triggers, so either both are stored or neither: a resend of an
applied action is answered from the stored outcome (``replayed``), a refused action
leaves no trace and may be sent again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from domain.geo import wgs84_to_gcj02
from rescue.engine import DispatchEngine
from rescue.errors import ActionIdReused, InvalidCall
from rescue.model import PHONE_ACTIONS, ActionOutcome, PhoneAction, RescueCase
from rescue.progress import arrival_of
from rescue.repository import phone as phone_repository


def _outcome(action: PhoneAction, case: RescueCase, at: datetime) -> ActionOutcome:
    return ActionOutcome(
        action_id=action.action_id,
        kind=action.kind,
        case_id=action.case_id,
        state=case.state,
        applied_at=at,
    )


def _as_json(outcome: ActionOutcome) -> dict[str, Any]:
    data = asdict(outcome)
    data["applied_at"] = outcome.applied_at.isoformat()
    data.pop("replayed")
    return data


def _from_json(data: dict[str, Any]) -> ActionOutcome:
    return ActionOutcome(
        **{**data, "applied_at": datetime.fromisoformat(data["applied_at"]), "replayed": True}
    )


class PhoneActions:
    def __init__(self, engine: DispatchEngine) -> None:
        self.engine = engine

    def apply(self, rescuer_id: int, action: PhoneAction, actor: str) -> ActionOutcome:
        """Apply the action once; a resend of the same id returns the first outcome."""
        if action.kind not in PHONE_ACTIONS:
            raise InvalidCall(f"unknown action {action.kind!r}")
        conn = self.engine.conn
        with conn.transaction():
            now = self.engine.context.clock()
            claimed = phone_repository.claim_action(
                conn, rescuer_id, action.action_id, action.case_id, action.kind,
                action.done_at, now,
            )  # fmt: skip
            if not claimed:
                return self._replay(rescuer_id, action)
            outcome = self._run(rescuer_id, action, actor, now)
            phone_repository.store_outcome(conn, rescuer_id, action.action_id, _as_json(outcome))
            return outcome

    def _replay(self, rescuer_id: int, action: PhoneAction) -> ActionOutcome:
        stored = phone_repository.stored_action(self.engine.conn, rescuer_id, action.action_id)
        if stored is None or (stored.case_id, stored.kind) != (action.case_id, action.kind):
            raise ActionIdReused(f"action id {action.action_id} was used for another action")
        return _from_json(stored.outcome)

    def _run(
        self, rescuer_id: int, action: PhoneAction, actor: str, now: datetime
    ) -> ActionOutcome:
        engine, case_id = self.engine, action.case_id
        if action.kind == "accept":
            return _outcome(action, engine.accept(case_id, rescuer_id, actor), now)
        if action.kind == "decline":
            engine.decline(case_id, rescuer_id, actor, action.note)
            return _outcome(action, engine.context.load(case_id, lock=False), now)
        if action.kind == "depart":
            return _outcome(action, engine.depart(case_id, rescuer_id, actor), now)
        if action.kind == "arrive":
            case = engine.arrive(case_id, rescuer_id, actor, action.position)
            outcome = _outcome(action, case, now)
            if action.position is None:
                return outcome
            arrival = arrival_of(engine.settings, case, action.position)
            return ActionOutcome(**{**asdict(outcome), "distance_m": arrival.distance_m,
                                    "far": arrival.far})  # fmt: skip
        case = engine.release(case_id, rescuer_id, actor, action.people_released, action.note)
        return _outcome(action, case, now)


@dataclass(frozen=True)
class Navigation:
    """The elevator in GCJ-02 (what Amap and Baidu take with ``coord_type=gcj02``) and
    links that open either app's marker there (the web page if the app is missing)."""

    lon: float
    lat: float
    amap: str
    baidu: str
    baidu_app: str


def navigation(lon: float, lat: float, name: str) -> Navigation:
    """Links to the elevator stored at WGS-84 ``lon``/``lat``, converted to GCJ-02."""
    glon, glat = wgs84_to_gcj02(lon, lat)
    glon, glat = round(glon, 6), round(glat, 6)
    amap = urlencode(
        {"position": f"{glon},{glat}", "name": name, "coordinate": "gaode", "callnative": 1},
        quote_via=quote, safe=",",
    )  # fmt: skip
    baidu = urlencode(
        {"location": f"{glat},{glon}", "title": name, "content": name, "coord_type": "gcj02",
         "output": "html", "src": "webapp.liftwatch.rescuer"},
        quote_via=quote, safe=",",
    )  # fmt: skip
    return Navigation(
        lon=glon,
        lat=glat,
        amap=f"https://uri.amap.com/marker?{amap}",
        baidu=f"https://api.map.baidu.com/marker?{baidu}",
        baidu_app=f"baidumap://map/marker?{baidu}",
    )
