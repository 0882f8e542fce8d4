"""The dispatch policy, pure: ETA model, candidate ranking, tier progression, SLA.

Nothing here touches the database or a clock: the engine passes positions, times and
what it has already offered, and applies the decision this module returns.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum

from domain.geo import haversine_m
from rescue.config import DispatchSettings

TIER_OWN_COMPANY = 1
TIER_NEAREST = 2
TIER_FIRE_SERVICE = 3


@dataclass(frozen=True)
class Candidate:
    """An available, on-shift rescuer and where he is now."""

    rescuer_id: int
    company_id: int | None
    station_id: int | None
    lon: float
    lat: float


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    distance_m: float
    eta_s: float

    @property
    def rescuer_id(self) -> int:
        return self.candidate.rescuer_id


def local_hour(at: datetime, utc_offset_h: float) -> float:
    """Hour of the day (0..24, fractional) in the city's local time."""
    local = at + timedelta(hours=utc_offset_h)
    return local.hour + local.minute / 60 + local.second / 3600


def local_time(at: datetime, utc_offset_h: float) -> time:
    return (at + timedelta(hours=utc_offset_h)).time()


def _in_window(hour: float, start: float, end: float) -> bool:
    if start <= end:
        return start <= hour < end
    return hour >= start or hour < end  # across midnight


def speed_kmh(settings: DispatchSettings, hour: float) -> float:
    """Typical urban driving speed at a local hour: slower at peaks, faster at night."""
    if any(_in_window(hour, start, end) for start, end in settings.peak_hours):
        return settings.speed_kmh_peak
    if _in_window(hour, *settings.night_hours):
        return settings.speed_kmh_night
    return settings.speed_kmh_day


def travel_s(settings: DispatchSettings, distance_m: float, at: datetime) -> float:
    """Driving time for a great-circle distance: distance x road factor / speed."""
    speed_ms = speed_kmh(settings, local_hour(at, settings.utc_offset_h)) / 3.6
    return distance_m * settings.road_factor / speed_ms


def eta_s(settings: DispatchSettings, distance_m: float, at: datetime) -> float:
    """Estimated seconds from accepting to arriving: set-up time plus driving."""
    return settings.setup_s + travel_s(settings, distance_m, at)


def on_shift(shift_start: time, shift_end: time, now_local: time) -> bool:
    """Whether a local time falls in a shift; a shift may run across midnight.

    Equal start and end means round the clock.
    """
    if shift_start == shift_end:
        return True
    if shift_start < shift_end:
        return shift_start <= now_local < shift_end
    return now_local >= shift_start or now_local < shift_end


def rank(
    settings: DispatchSettings,
    candidates: Iterable[Candidate],
    lon: float,
    lat: float,
    at: datetime,
) -> list[Ranked]:
    """Candidates by ETA to (lon, lat), nearest first; ties by rescuer id (stable)."""
    ranked = []
    for candidate in candidates:
        distance = haversine_m(candidate.lon, candidate.lat, lon, lat)
        ranked.append(Ranked(candidate, distance, eta_s(settings, distance, at)))
    ranked.sort(key=lambda found: (found.eta_s, found.rescuer_id))
    return ranked


def tier_candidates(
    settings: DispatchSettings,
    tier: int,
    ranked: list[Ranked],
    company_id: int,
) -> list[Ranked]:
    """The ranked candidates a tier may offer to.

    Tier 1: the elevator's own company. When a further tier exists, only those who can
    arrive within ``tier1_max_eta_min`` and no more than ``tier1_slack_min`` later than
    the nearest rescuer of anyone: the own company keeps priority unless that costs the
    passengers too much. Tier 2: everyone (any company, the rescue stations) within
    the search radius.
    """
    if tier == TIER_OWN_COMPANY:
        own = [found for found in ranked if found.candidate.company_id == company_id]
        if TIER_NEAREST in settings.tiers and ranked:
            limit = min(
                settings.tier1_max_eta_min * 60,
                ranked[0].eta_s + settings.tier1_slack_min * 60,
            )
            own = [found for found in own if found.eta_s <= limit]
        return own
    if tier == TIER_NEAREST:
        radius = settings.search_radius_km * 1000
        return [found for found in ranked if found.distance_m <= radius]
    return []


def offer_round(settings: DispatchSettings, fresh: list[Ranked]) -> list[Ranked]:
    """The next round from candidates not yet asked (by ETA): the ``offer_size`` nearest
    whose ETA is within ``offer_eta_slack_min`` of the best, so that the first to accept
    is never much farther than the nearest."""
    if not fresh:
        return []
    limit = fresh[0].eta_s + settings.offer_eta_slack_min * 60
    return [found for found in fresh if found.eta_s <= limit][: settings.offer_size]


def scheduled_tier(settings: DispatchSettings, elapsed_s: float) -> int:
    """The tier the clock alone calls for, among the enabled tiers."""
    if elapsed_s < settings.tier1_window_s:
        wanted = TIER_OWN_COMPANY
    elif elapsed_s < settings.tier1_window_s + settings.tier2_window_s:
        wanted = TIER_NEAREST
    else:
        wanted = TIER_FIRE_SERVICE
    enabled = [tier for tier in settings.tiers if tier <= wanted]
    return enabled[-1] if enabled else settings.tiers[0]


class Action(StrEnum):
    WAIT = "wait"  # offers are out, or nobody to ask yet
    OFFER = "offer"  # send offers to ``offers`` at ``tier``
    FIRE_SERVICE = "fire_service"  # hand off to 119
    EXHAUSTED = "exhausted"  # last enabled tier has nobody left (and no 119)


@dataclass(frozen=True)
class Decision:
    action: Action
    tier: int
    offers: list[Ranked] = field(default_factory=list)
    reason: str = ""


def decide(
    settings: DispatchSettings,
    *,
    case_tier: int,
    elapsed_s: float,
    pending: int,
    ranked: list[Ranked],
    company_id: int,
    already_offered: Collection[int],
) -> Decision:
    """What to do next for an undecided case.

    ``ranked`` are all available candidates by ETA; ``already_offered`` are rescuers
    who had an offer for this case (answered or not); ``pending`` counts open offers.
    Rules: a tier offers its ``offer_size`` nearest not yet asked; while its offers are
    open it waits; when they run out (or the tier's window ends) the next tier starts;
    at the end of the windows, or with every tier exhausted, the case goes to 119.
    """
    tiers = settings.tiers
    tier = max(case_tier, scheduled_tier(settings, elapsed_s))
    if tier == TIER_FIRE_SERVICE and TIER_FIRE_SERVICE in tiers:
        return Decision(Action.FIRE_SERVICE, tier, reason="tier windows elapsed")
    for next_tier in [later for later in tiers if later >= tier]:
        if next_tier == TIER_FIRE_SERVICE:
            if pending:
                return Decision(Action.WAIT, case_tier, reason="offers open")
            return Decision(Action.FIRE_SERVICE, next_tier, reason="all tiers exhausted")
        fresh = [
            found
            for found in tier_candidates(settings, next_tier, ranked, company_id)
            if found.rescuer_id not in already_offered
        ]
        if fresh:
            if pending and next_tier == case_tier:
                return Decision(Action.WAIT, next_tier, reason="offers open")
            return Decision(Action.OFFER, next_tier, offer_round(settings, fresh))
        if pending:
            return Decision(Action.WAIT, case_tier, reason="offers open")
    return Decision(Action.EXHAUSTED, tiers[-1], reason="no candidate left")


def arrival_minutes(
    settings: DispatchSettings, district: str, urban: Mapping[str, bool] | None = None
) -> float:
    """Minutes allowed to arrive: a per-district override, else urban 30 / outer 60."""
    if district in settings.district_arrival_min:
        return settings.district_arrival_min[district]
    if urban is not None and district in urban:
        return settings.urban_arrival_min if urban[district] else settings.outer_arrival_min
    if district in settings.outer_districts:
        return settings.outer_arrival_min
    return settings.urban_arrival_min


def arrival_due(
    settings: DispatchSettings,
    reported_at: datetime,
    district: str,
    urban: Mapping[str, bool] | None = None,
) -> datetime:
    return reported_at + timedelta(minutes=arrival_minutes(settings, district, urban))


def insurance_due(settings: DispatchSettings, trapped_since: datetime) -> datetime:
    """When passengers still trapped become eligible for the group insurance payout."""
    return trapped_since + timedelta(minutes=settings.insurance_trapped_min)
