"""Guangzhou's 11 districts: centres, rough outlines, urban class and fleet density.

Pure data. Coordinates are WGS-84 (longitude, latitude in degrees).

The outlines are APPROXIMATE hand-drawn polygons (8-15 vertices) that follow the real
district extents to within a few kilometres; neighbouring outlines share most of their
vertices so they tile the city without large gaps or overlaps. They are good enough to
place a synthetic fleet and to draw the districts on the "one map"; they are not
survey boundaries. ``centre`` is the approximate centre of the district's built-up area
(a point inside the outline).

``urban`` marks the core districts where the rescue SLA is 30 minutes (TSG T5002
art. 5: "within 30 min in a city with districts"); outer districts get 60 minutes.
``density`` is the share of the city's elevators in the district (sums to 1; denser in
the core), ``adcode`` the administrative division code used in registration codes.
"""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class District:
    name: str
    name_zh: str
    adcode: str
    centre: Point
    outline: tuple[Point, ...]
    urban: bool
    density: float

    @property
    def lon(self) -> float:
        return self.centre[0]

    @property
    def lat(self) -> float:
        return self.centre[1]

    @property
    def sla_minutes(self) -> int:
        """Rescuer on site within 30 min in the urban core, 60 min elsewhere."""
        return 30 if self.urban else 60

    def bbox(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the outline."""
        xs = [p[0] for p in self.outline]
        ys = [p[1] for p in self.outline]
        return min(xs), min(ys), max(xs), max(ys)

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point lies inside the outline (ray casting)."""
        inside = False
        pts = self.outline
        j = len(pts) - 1
        for i in range(len(pts)):
            xi, yi = pts[i]
            xj, yj = pts[j]
            if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
        return inside


# fmt: off
DISTRICTS: tuple[District, ...] = (
    District(
        "Yuexiu", "越秀区", "440104", (113.2730, 23.1380),
        ((113.238, 23.140), (113.235, 23.115), (113.255, 23.108), (113.295, 23.110),
         (113.318, 23.118), (113.315, 23.145), (113.300, 23.170), (113.270, 23.172),
         (113.250, 23.160)),
        urban=True, density=0.10,
    ),
    District(
        "Liwan", "荔湾区", "440103", (113.2300, 23.1100),
        ((113.200, 23.160), (113.250, 23.160), (113.238, 23.140), (113.235, 23.115),
         (113.255, 23.108), (113.250, 23.100), (113.255, 23.060), (113.235, 23.040),
         (113.200, 23.045), (113.180, 23.080), (113.190, 23.120)),
        urban=True, density=0.07,
    ),
    District(
        "Haizhu", "海珠区", "440105", (113.3172, 23.0838),
        ((113.250, 23.100), (113.255, 23.108), (113.295, 23.110), (113.318, 23.118),
         (113.340, 23.112), (113.380, 23.110), (113.410, 23.090), (113.400, 23.065),
         (113.350, 23.055), (113.300, 23.045), (113.262, 23.055), (113.255, 23.060)),
        urban=True, density=0.12,
    ),
    District(
        "Tianhe", "天河区", "440106", (113.3612, 23.1347),
        ((113.318, 23.118), (113.340, 23.112), (113.380, 23.110), (113.420, 23.105),
         (113.440, 23.150), (113.430, 23.200), (113.400, 23.240), (113.360, 23.235),
         (113.330, 23.190), (113.315, 23.145)),
        urban=True, density=0.17,
    ),
    District(
        "Baiyun", "白云区", "440111", (113.2730, 23.2150),
        ((113.200, 23.160), (113.250, 23.160), (113.270, 23.172), (113.300, 23.170),
         (113.315, 23.145), (113.330, 23.190), (113.360, 23.235), (113.400, 23.240),
         (113.420, 23.300), (113.460, 23.420), (113.380, 23.430), (113.300, 23.400),
         (113.230, 23.330), (113.180, 23.270), (113.160, 23.200)),
        urban=True, density=0.15,
    ),
    District(
        "Huangpu", "黄埔区", "440112", (113.4590, 23.1500),
        ((113.420, 23.105), (113.460, 23.080), (113.520, 23.060), (113.590, 23.080),
         (113.600, 23.150), (113.560, 23.250), (113.540, 23.350), (113.500, 23.420),
         (113.460, 23.420), (113.420, 23.300), (113.400, 23.240), (113.430, 23.200),
         (113.440, 23.150)),
        urban=True, density=0.09,
    ),
    District(
        "Panyu", "番禺区", "440113", (113.3843, 22.9374),
        ((113.250, 23.040), (113.300, 23.045), (113.350, 23.055), (113.400, 23.065),
         (113.480, 23.060), (113.560, 22.990), (113.540, 22.900), (113.450, 22.870),
         (113.350, 22.880), (113.270, 22.930), (113.240, 22.990)),
        urban=True, density=0.13,
    ),
    District(
        "Huadu", "花都区", "440114", (113.2204, 23.4036),
        ((112.960, 23.300), (113.050, 23.260), (113.160, 23.200), (113.180, 23.270),
         (113.230, 23.330), (113.300, 23.400), (113.340, 23.500), (113.280, 23.580),
         (113.200, 23.620), (113.100, 23.560), (113.000, 23.460)),
        urban=False, density=0.05,
    ),
    District(
        "Nansha", "南沙区", "440115", (113.5253, 22.8017),
        ((113.350, 22.880), (113.450, 22.870), (113.540, 22.900), (113.650, 22.800),
         (113.680, 22.700), (113.600, 22.580), (113.500, 22.600), (113.420, 22.680),
         (113.330, 22.780)),
        urban=False, density=0.04,
    ),
    District(
        "Conghua", "从化区", "440117", (113.5868, 23.5483),
        ((113.300, 23.400), (113.380, 23.430), (113.460, 23.420), (113.500, 23.420),
         (113.650, 23.440), (113.800, 23.500), (113.950, 23.650), (113.900, 23.850),
         (113.750, 23.930), (113.550, 23.880), (113.400, 23.700), (113.340, 23.500)),
        urban=False, density=0.03,
    ),
    District(
        "Zengcheng", "增城区", "440118", (113.8108, 23.2610),
        ((113.540, 23.350), (113.560, 23.250), (113.600, 23.150), (113.590, 23.080),
         (113.620, 23.000), (113.700, 22.980), (113.850, 23.050), (113.980, 23.150),
         (114.000, 23.350), (113.950, 23.500), (113.800, 23.500), (113.650, 23.440),
         (113.500, 23.420)),
        urban=False, density=0.05,
    ),
)
# fmt: on

_BY_NAME = {d.name.lower(): d for d in DISTRICTS}


def district_by_name(name: str) -> District:
    """The district of that (English, case-insensitive) name; KeyError if unknown."""
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        raise KeyError(f"unknown district: {name!r}") from None


def district_at(lon: float, lat: float) -> District | None:
    """The district whose outline contains the point, if any."""
    for d in DISTRICTS:
        if d.contains(lon, lat):
            return d
    return None
