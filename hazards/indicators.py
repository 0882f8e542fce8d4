"""Hazard indicators (pure): serious-hazard remediation rate against the 100 % target,
median days to remediate by grade, overdue and open counts; the CSV export."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import datetime

from hazards.indicators_repository import OpenRow, RemediationRow

SERIOUS_TARGET = 1.0  # the plan's target: every serious hazard remediated


@dataclass(frozen=True)
class GradeFigures:
    grade: str
    reported: int
    remediated: int
    on_time: int
    overdue: int
    remediation_rate: float | None  # remediated / reported
    median_days: float | None


@dataclass(frozen=True)
class HazardIndicators:
    since: datetime
    until: datetime
    by_grade: list[GradeFigures]
    open_by_district: list[dict[str, object]] = field(default_factory=list)
    open_total: int = 0
    overdue_now: int = 0
    out_of_service: int = 0
    serious_target: float = SERIOUS_TARGET

    def serious(self) -> GradeFigures | None:
        return next((g for g in self.by_grade if g.grade == "serious"), None)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(
    since: datetime, until: datetime, remediation: list[RemediationRow], open_rows: list[OpenRow]
) -> HazardIndicators:
    by_grade = [
        GradeFigures(
            r.grade,
            r.reported,
            r.remediated,
            r.on_time,
            r.overdue,
            _rate(r.remediated, r.reported),
            None if r.median_days is None or math.isnan(r.median_days) else round(r.median_days, 2),
        )
        for r in remediation
    ]
    return HazardIndicators(
        since=since,
        until=until,
        by_grade=by_grade,
        open_by_district=[
            {
                "grade": o.grade,
                "district": o.district,
                "open": o.open,
                "overdue": o.overdue,
                "out_of_service": o.out_of_service,
            }
            for o in open_rows
        ],
        open_total=sum(o.open for o in open_rows),
        overdue_now=sum(o.overdue for o in open_rows),
        out_of_service=sum(o.out_of_service for o in open_rows),
    )


def to_csv(ind: HazardIndicators) -> str:
    """Two blocks in one file: remediation by grade, then open hazards by district."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["指标 indicator", "等级 grade", "上报 reported", "已整改 remediated",
                "按期 on_time", "逾期 overdue", "整改率 rate", "目标 target",
                "整改天数中位数 median_days"])  # fmt: skip
    for g in ind.by_grade:
        rate = "" if g.remediation_rate is None else f"{g.remediation_rate:.4f}"
        target = f"{ind.serious_target:.2f}" if g.grade == "serious" else ""
        median = "" if g.median_days is None else f"{g.median_days:.2f}"
        w.writerow(["remediation", g.grade, g.reported, g.remediated, g.on_time, g.overdue,
                    rate, target, median])  # fmt: skip
    w.writerow([])
    w.writerow(["指标 indicator", "等级 grade", "区 district", "未关闭 open", "逾期 overdue",
                "停用 out_of_service"])  # fmt: skip
    for o in ind.open_by_district:
        w.writerow(["open", o["grade"], o["district"], o["open"], o["overdue"],
                    o["out_of_service"]])  # fmt: skip
    return "\ufeff" + out.getvalue()  # BOM: Excel opens the Chinese headers as UTF-8
